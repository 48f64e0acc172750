//! Tests across vendors, and the helpers each vendor's tests share.

use super::*;

/// The credential every test hands off.
pub(super) const GRANT: Grant<'static> = Grant {
    username: "guest-4821",
    password: "sunshine-7391",
    session_secs: 1800,
};

/// Every recorded landing address.
const FIXTURES: [&str; 9] = [
    include_str!("fixtures/coova-notyet.url"),
    include_str!("fixtures/coova-success.url"),
    include_str!("fixtures/opennds-fas.url"),
    include_str!("fixtures/opennds-hid.url"),
    include_str!("fixtures/meraki-click-through.url"),
    include_str!("fixtures/meraki-sign-on.url"),
    include_str!("fixtures/unifi.url"),
    include_str!("fixtures/mikrotik.url"),
    include_str!("fixtures/nas.url"),
];

/// The access point a recorded landing address comes from.
#[track_caller]
pub(super) fn landing(address: &str) -> AccessPoint {
    let url = Url::parse(address).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    AccessPoint::from_query(&pairs)
        .unwrap()
        .expect("an access point")
}

/// What a query string as an access point sends it reads as.
pub(super) fn parse_query(query: &str) -> Result<Option<AccessPoint>, HandOffError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    AccessPoint::from_query(&pairs)
}

/// A site with the given secrets and no extra hand-off hosts.
pub(super) fn secrets(
    uam_secret: Option<&'static str>,
    fas_key: Option<&'static str>,
) -> SiteSecrets<'static> {
    SiteSecrets {
        uam_secret,
        fas_key,
        handoff_hosts: &[],
    }
}

#[test]
fn each_recording_is_recognised_as_its_vendor() {
    let kinds: Vec<&str> = FIXTURES
        .iter()
        .map(|address| match landing(address) {
            AccessPoint::Coova(_) => "coova",
            AccessPoint::OpenNds(_) => "opennds",
            AccessPoint::Meraki(_) => "meraki",
            AccessPoint::Unifi(_) => "unifi",
            AccessPoint::Generic(_) => "generic",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "coova", "coova", "opennds", "opennds", "meraki", "meraki", "unifi", "generic",
            "generic"
        ]
    );
}

#[test]
fn carried_fields_read_back_as_the_same_access_point() {
    for address in FIXTURES {
        let ap = landing(address);
        let mut form = vec![
            ("csrf".to_owned(), "token".to_owned()),
            ("accept".to_owned(), "yes".to_owned()),
        ];
        let carried = ap.carried_fields();
        assert!(carried.iter().all(|(name, _)| name.starts_with("ap.")));
        form.extend(carried);
        assert_eq!(AccessPoint::from_form(&form), Ok(Some(ap)), "{address}");
    }
}

#[test]
fn a_page_opened_directly_has_no_access_point() {
    assert_eq!(AccessPoint::from_query(&[]), Ok(None));
    let unrelated = vec![("lang".to_owned(), "cy".to_owned())];
    assert_eq!(AccessPoint::from_query(&unrelated), Ok(None));
    assert_eq!(AccessPoint::from_form(&unrelated), Ok(None));
}

#[test]
fn a_session_length_that_is_not_positive_is_refused() {
    let ap = landing(FIXTURES[6]);
    let grant = Grant {
        session_secs: 0,
        ..GRANT
    };
    assert_eq!(
        hand_off(&ap, &grant, &secrets(None, None)),
        Err(HandOffError::InvalidGrant)
    );
}

#[test]
fn passwords_and_secrets_stay_out_of_debug_output() {
    let ap = landing(FIXTURES[5]);
    let handoff = hand_off(&ap, &GRANT, &secrets(Some("uam-secret"), None)).unwrap();
    for shown in [
        format!("{handoff:?}"),
        format!("{GRANT:?}"),
        format!("{:?}", secrets(Some("uam-secret"), Some("fas-key"))),
    ] {
        for secret in ["sunshine-7391", "uam-secret", "fas-key"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

#[test]
fn errors_say_what_is_wrong_and_what_to_do() {
    assert_eq!(
        HandOffError::MissingParameter("challenge").to_string(),
        "the access point did not send the challenge parameter; reconnect to the Wi-Fi and \
         try again"
    );
    assert_eq!(
        params::invalid("mac", "is not a MAC address").to_string(),
        "the access point sent an unusable mac parameter: it is not a MAC address"
    );
    // Guests read these on the landing page, where markdown's backticks would show.
    for err in [
        HandOffError::MissingParameter("challenge"),
        HandOffError::RepeatedParameter("mac"),
        params::invalid("userurl", "is not a web address"),
    ] {
        assert!(!err.to_string().contains('`'), "{err}");
    }
    assert!(
        HandOffError::UamSecretMissing
            .to_string()
            .contains("uamsecret in the site's captive settings")
    );
}
