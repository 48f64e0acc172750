// Starts a `commons up` of our own on free loopback ports with in-memory hosting that
// journals every change, and launches Debian's Chromium headless with the flags that
// keep it off the network. Everything started here is stopped by PID.

import { spawn, execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
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

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** A running `commons up`, its first-administrator link, outbox and hosting journal. */
export async function startCommons() {
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
    "[radius]",
    `auth_listen = ["127.0.0.1:${auth}"]`,
    `acct_listen = ["127.0.0.1:${acct}"]`,
    "[ops]",
    `listen = "127.0.0.1:${ops}"`,
    "",
  ].join("\n"));
  const binary = process.env.COMMONS_BIN ?? join(repo, "target", "debug", "commons");
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("COMMONS_")));
  const child = spawn(binary, ["--config", config, "up"], { env: { ...env, RUST_LOG: "warn" } });
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

  return {
    base,
    setupLink,
    dir,
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
      const body = execFileSync("python3", ["-c", script, join(dir, "data", "commons.db"), to], { encoding: "utf8" });
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

/** Debian's Chromium, headless and kept off the network, with a fresh profile. */
export async function launchChromium() {
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
