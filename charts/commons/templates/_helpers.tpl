{{/* Name prefix of every object of the release. */}}
{{- define "commons.fullname" -}}
{{- printf "%s-commons" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; pass a dict with "root" and "component". */}}
{{- define "commons.labels" -}}
app.kubernetes.io/name: commons
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* Selector labels; pass a dict with "root" and "component". */}}
{{- define "commons.selector" -}}
app.kubernetes.io/name: commons
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "commons.image" -}}
{{- $repo := required "image.repository is required" .Values.image.repository -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Environment shared by every component: the database URL from the existing Secret. */}}
{{- define "commons.env" -}}
- name: COMMONS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required" .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
- name: COMMONS_LOG_FORMAT
  value: json
{{- end -}}

{{/* The restricted security context every container runs with. */}}
{{- define "commons.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- define "commons.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end -}}
