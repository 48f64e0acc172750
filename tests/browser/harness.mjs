// Starts a `commons up` of our own on free loopback ports with in-memory hosting that
// journals every change, and launches Debian's Chromium headless with the flags that
// keep it off the network. Everything started here is stopped by PID.

import { spawn, spawnSync, execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, connect } from "node:net";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "..", "..");

// With TEST_PORT_RANGE=FIRST-LAST the ports come from that range (machines where tests
// must stay in a given range); otherwise the system picks free ones.
const range = (process.env.TEST_PORT_RANGE ?? "").match(/^(\d+)-(\d+)$/);
let nextInRange = range ? Number(range[1]) : 0;

/** A free port that `make()` can bind, closed again for the caller to use. */
async function freePort(make, bind) {
  for (;;) {
    const port = range ? nextInRange++ : 0;
    if (range && port > Number(range[2])) throw new Error(`no free port left in ${range[0]}`);
    const server = make();
    try {
      bind(server, port);
      // Rejects when binding fails (the port is taken).
      await once(server, "listening");
    } catch {
      continue;
    }
    const { port: bound } = server.address();
    server.close();
    return bound;
  }
}

const freeTcpPort = () => freePort(createServer, (s, port) => s.listen(port, "127.0.0.1"));
const freeUdpPort = () => freePort(() => createSocket("udp4"), (s, port) => s.bind(port, "127.0.0.1"));

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

const binary = () => process.env.COMMONS_BIN ?? join(repo, "target", "debug", "commons");

/** The environment of a child process, without the caller's `COMMONS_*` settings. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("COMMONS_")));
}

/** A TOML value for a JavaScript string, number or boolean. */
function toml(value) {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * A running `commons up`, its first-administrator link, outbox and hosting journal.
 *
 * Options: `smtpUrl` (the portal mails through it instead of the outbox), `portal`
 * (further `[portal]` keys), `sections` (further TOML tables, `{ name: { key: value } }`).
 */
export async function startCommons(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "commons-browser-"));
  const [portal, auth, acct, ops] = [
    await freeTcpPort(), await freeUdpPort(), await freeUdpPort(), await freeTcpPort(),
  ];
  const journal = join(dir, "hosting.jsonl");
  const config = join(dir, "commons.toml");
  writeFileSync(config, [
    `data_dir = "${join(dir, "data")}"`,
    "[portal]",
    `listen = "127.0.0.1:${portal}"`,
    `hosting_journal = "${journal}"`,
    ...(options.smtpUrl ? [`smtp_url = ${toml(options.smtpUrl)}`] : []),
    ...Object.entries(options.portal ?? {}).map(([key, value]) => `${key} = ${toml(value)}`),
    "[radius]",
    `auth_listen = ["127.0.0.1:${auth}"]`,
    `acct_listen = ["127.0.0.1:${acct}"]`,
    "[ops]",
    `listen = "127.0.0.1:${ops}"`,
    ...Object.entries(options.sections ?? {}).flatMap(([name, keys]) => [
      `[${name}]`,
      ...Object.entries(keys).map(([key, value]) => `${key} = ${toml(value)}`),
    ]),
    "",
  ].join("\n"));
  const child = spawn(binary(), ["--config", config, "up"], { env: { ...cleanEnv(), RUST_LOG: "warn" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => { stdout += chunk; });
  child.stderr.on("data", (chunk) => { stderr += chunk; });

  const base = `http://127.0.0.1:${portal}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`commons exited early: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`commons not healthy in 30 s: ${stderr}`);
    try {
      const answer = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (answer.ok && /setup\//.test(stdout)) break;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
  const setupLink = stdout.match(/(http:\/\/\S+\/setup\/[0-9a-f]+)/)[1];

  const database = join(dir, "data", "commons.db");
  return {
    base,
    setupLink,
    dir,
    /** The RADIUS authentication and accounting addresses. */
    radius: { auth: `127.0.0.1:${auth}`, acct: `127.0.0.1:${acct}` },
    /** Runs a `commons` subcommand on the same configuration; returns its standard output. */
    cli(...args) {
      const run = spawnSync(binary(), ["--config", config, "--log", "warn", ...args], {
        env: cleanEnv(), encoding: "utf8", timeout: 30_000,
      });
      if (run.status !== 0) throw new Error(`commons ${args.join(" ")}: ${run.stderr || run.error}`);
      return run.stdout;
    },
    /**
     * Runs one SQL statement with `params` on the SQLite database and returns the rows,
     * for settings no command sets and for counting what a test did.
     */
    sql(statement, ...params) {
      const script = [
        "import json, sqlite3, sys",
        "db = sqlite3.connect(sys.argv[1], timeout=10)",
        "rows = db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()",
        "db.commit()",
        "print(json.dumps(rows))",
      ].join("\n");
      const out = execFileSync("python3", ["-c", script, database, statement, JSON.stringify(params)], { encoding: "utf8" });
      return JSON.parse(out);
    },
    /** The hosting calls journalled so far. */
    hostingCalls() {
      if (!existsSync(journal)) return [];
      return readFileSync(journal, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    },
    /** The path of the newest link emailed to `to`, read from the outbox table. */
    emailedLink(to) {
      const script = [
        "import sqlite3, sys",
        "db = sqlite3.connect(sys.argv[1])",
        "row = db.execute('SELECT body FROM outbox WHERE to_addr = ? ORDER BY id DESC LIMIT 1', (sys.argv[2],)).fetchone()",
        "print(row[0] if row else '')",
      ].join("\n");
      const body = execFileSync("python3", ["-c", script, database, to], { encoding: "utf8" });
      const link = body.match(/http:\/\/127\.0\.0\.1:\d+(\/\S+)/);
      if (!link) throw new Error(`no link emailed to ${to}`);
      return link[1];
    },
    /** Stops commons with SIGTERM, by PID, waiting at most 15 s. */
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const exited = once(child, "exit");
        const timedOut = sleep(15_000).then(() => "timeout");
        if ((await Promise.race([exited, timedOut])) === "timeout") child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
    logs: () => stderr,
  };
}

/** Debian's Chromium, headless and kept off the network, with a fresh profile. Further
 * Playwright context options (such as `javaScriptEnabled: false`) are passed through. */
export async function launchChromium(contextOptions = {}) {
  const profile = mkdtempSync(join(tmpdir(), "commons-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    // The portal's policy forbids every script; axe-core is injected by the test.
    bypassCSP: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    ...contextOptions,
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");

/** WCAG 2.0, 2.1 and 2.2 A and AA violations on the current page. */
export async function axeViolations(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const result = await globalThis.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    }));
  });
}

/** Waits until something accepts TCP connections on 127.0.0.1:`port`. */
async function waitForTcp(port, child, what) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited early`);
    if (Date.now() > deadline) throw new Error(`${what} not listening on ${port} in 15 s`);
    const ok = await new Promise((done) => {
      const socket = connect(port, "127.0.0.1");
      socket.on("connect", () => { socket.destroy(); done(true); });
      socket.on("error", () => { socket.destroy(); done(false); });
    });
    if (ok) return;
    await sleep(100);
  }
}

/** Stops a child process by PID: SIGTERM, then SIGKILL after 10 s. */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  if ((await Promise.race([exited, sleep(10_000).then(() => "timeout")])) === "timeout") {
    child.kill("SIGKILL");
  }
}

/**
 * A real SMTP server on loopback (aiosmtpd, installed by scripts/install-test-deps) that
 * keeps every message it receives in a Maildir.
 */
export async function startSmtpServer() {
  const dir = mkdtempSync(join(tmpdir(), "commons-smtp-"));
  const port = await freeTcpPort();
  const child = spawn("python3", [
    "-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", join(dir, "maildir"),
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  try {
    await waitForTcp(port, child, "aiosmtpd");
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${err.message}: ${stderr} (scripts/install-test-deps installs aiosmtpd)`);
  }
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Every message received so far, oldest first: `{ to, from, subject, body }`, the body decoded. */
    messages() {
      const script = [
        "import email, json, os, sys",
        "paths = [os.path.join(sys.argv[1], sub, name) for sub in ('new', 'cur') for name in os.listdir(os.path.join(sys.argv[1], sub))]",
        "out = []",
        "for path in sorted(paths, key=lambda p: os.stat(p).st_mtime_ns):",
        "    message = email.message_from_binary_file(open(path, 'rb'))",
        "    part = next((p for p in message.walk() if p.get_content_type() == 'text/plain'), message)",
        "    body = part.get_payload(decode=True).decode(part.get_content_charset() or 'utf-8')",
        "    out.append({'to': message['To'], 'from': message['From'], 'subject': message['Subject'], 'date': message['Date'], 'body': body})",
        "print(json.dumps(out))",
      ].join("\n");
      if (!existsSync(join(dir, "maildir"))) return [];
      return JSON.parse(execFileSync("python3", ["-c", script, join(dir, "maildir")], { encoding: "utf8" }));
    },
    /** The messages to `address`, waiting up to 10 s for at least `count` of them. */
    async waitFor(address, count = 1) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = this.messages().filter((m) => (m.to ?? "").includes(address));
        if (found.length >= count) return found;
        if (Date.now() > deadline) throw new Error(`no message to ${address} in 10 s: ${stderr}`);
        await sleep(100);
      }
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An HTTP server on loopback standing in for an access point's login page (a
 * CoovaChilli `/logon`, a Meraki or generic NAS login URL): it records every request
 * and answers 200 with a short page.
 */
export async function startAccessPointStub() {
  const requests = [];
  const server = createHttpServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => { body += chunk; });
    request.on("end", () => {
      requests.push({ method: request.method, url: request.url, headers: request.headers, body });
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end('<!doctype html><html lang="en"><title>Access point</title><h1>Logged on</h1></html>');
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/**
 * Sends one RADIUS request with Debian's radclient (freeradius-utils). `attributes` is
 * an object of attribute names to values as radclient reads them; Message-Authenticator
 * is added. Returns the reply's code name (`Access-Accept`, `Access-Reject`) or `null`
 * for no reply, with radclient's output.
 */
export function radclient(server, secret, attributes, kind = "auth") {
  const lines = Object.entries(attributes).map(([name, value]) => `${name} = ${value}`);
  lines.push("Message-Authenticator = 0x00");
  const run = spawnSync("radclient", ["-r", "1", "-t", "2", "-x", server, kind, secret], {
    input: `${lines.join("\n")}\n`, encoding: "utf8", timeout: 15_000,
  });
  if (run.error) throw new Error(`cannot run radclient (${run.error.message}); scripts/install-test-deps installs it`);
  const code = ["Access-Accept", "Access-Reject", "Accounting-Response"].find((c) => run.stdout.includes(`Received ${c}`));
  return { code: code ?? null, output: `${run.stdout}${run.stderr}` };
}

/** A RADIUS string value in radclient's syntax. */
export const quoted = (text) => `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/**
 * Waits until commons answers RADIUS from a NAS client registered with `secret` (a
 * running server picks up new NAS clients within a few seconds); any reply will do.
 */
export async function waitForNas(server, secret) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const probe = radclient(server, secret, { "User-Name": quoted("probe"), "User-Password": quoted("probe") });
    if (probe.code !== null) return;
    if (Date.now() > deadline) throw new Error(`no RADIUS reply from ${server} in 15 s: ${probe.output}`);
    await sleep(250);
  }
}
