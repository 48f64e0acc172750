// The captive portal in headless Chromium against a running `commons up`, with commons'
// own RADIUS server as the judge: a person signs up on the page (terms, an emailed code, a
// voucher), straight or through an access point's hand-off (a CoovaChilli UAM redirect, a
// Meraki sign-on or another NAS's login form, both posted to a stub on loopback), and the
// credential the page gave is what radclient, acting as the access point, gets
// Access-Accept for, while a wrong password, challenge or device gets Access-Reject. Every captive page is scanned with axe-core and
// walked again with JavaScript disabled.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  startCommons, startSmtpServer, startAccessPointStub, launchChromium, axeViolations,
  radclient, quoted, waitForNas,
} from "./harness.mjs";

const SECRET = "captive-test-secret-0123456789ab";
const UAM_SECRET = "uam-secret-for-the-test";
const SITE = "central-library";
const MODE_SITES = { terms: "terms-only", email: "email-only", voucher: "voucher-only" };

let commons;
let smtp;
let stub;
let chromium;
let page;
const scanned = new Map();

before(async () => {
  smtp = await startSmtpServer();
  commons = await startCommons({ smtpUrl: smtp.url });
  stub = await startAccessPointStub();

  // One site offers every mode and is the site of the NAS client at 127.0.0.1, where
  // radclient asks from; one site per mode shows each landing page on its own.
  commons.cli("site", "add", "Central Library");
  commons.cli("nas", "add", "--site", SITE, "--address", "127.0.0.1/32", "--secret", SECRET,
    "--vendor", "coovachilli");
  for (const [mode, slug] of Object.entries(MODE_SITES)) {
    commons.cli("site", "add", slug.replace("-", " "));
    setSite(slug, { signup_modes: mode });
  }
  setSite(SITE, { signup_modes: "terms,email,voucher", uam_secret: UAM_SECRET });
  await waitForNas(commons.radius.auth, SECRET);

  chromium = await launchChromium();
  page = await chromium.context.newPage();
});

after(async () => {
  await chromium?.close();
  await stub?.stop();
  await commons?.stop();
  await smtp?.stop();
});

/**
 * Site settings that no command sets yet (sign-up modes, the UAM secret), written to the
 * database the running server reads them from.
 */
function setSite(slug, columns) {
  const names = Object.keys(columns);
  const assignments = names.map((name) => `${name} = ?`).join(", ");
  commons.sql(`UPDATE wifi_sites SET ${assignments} WHERE slug = ?`, ...names.map((n) => columns[n]), slug);
}

/** Scans the current page with axe-core, once per label, after checking it has no script. */
async function scan(target, label) {
  assert.equal(await target.locator("script").count(), 0, `${label} carries a script`);
  const html = await target.content();
  assert.ok(html.length < 50_000, `${label} is ${html.length} bytes`);
  if (scanned.has(label)) return;
  scanned.set(label, await axeViolations(target));
  if (process.env.SCREENSHOTS) {
    const name = label.replace(/[^a-z0-9]+/gi, "_").slice(0, 80);
    await target.screenshot({ path: `${process.env.SCREENSHOTS}/captive_${name}.png`, fullPage: true });
  }
}

const md5 = (...parts) => createHash("md5").update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();

/** A locally administered MAC address no other test uses, in CoovaChilli's spelling. */
function newMac() {
  const bytes = randomBytes(6);
  bytes[0] = (bytes[0] & 0xfc) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join("-");
}

/** Asks commons' RADIUS server with PAP, as the access point would. */
function pap(username, password, mac) {
  const attributes = { "User-Name": quoted(username), "User-Password": quoted(password) };
  if (mac) attributes["Calling-Station-Id"] = quoted(mac);
  return radclient(commons.radius.auth, SECRET, attributes);
}

/** The sign-up form of `mode` on the current landing page. */
const form = (target, mode) => target.locator(`form[action$="/${mode}"]`);

/** Ticks the consent (and, when asked, "remember this device") and submits the form. */
async function consentAndSubmit(signUp, { remember = false } = {}) {
  await signUp.locator('input[name="accept"]').check();
  if (remember) await signUp.locator('input[name="remember"]').check();
  await signUp.locator('button[type="submit"], input[type="submit"]').first().click();
}

/** The credential shown on a page reached without an access point. */
async function shownCredential(target) {
  await target.locator("#username").waitFor();
  const username = (await target.locator("#username").textContent()).trim();
  const password = (await target.locator("#password").textContent()).trim();
  assert.ok(username && password, "the page shows a user name and a password");
  return { username, password };
}

/** Signs up with the terms on `slug`'s landing page, with `query` from an access point. */
async function termsSignUp(target, slug, query = "", options = {}, label = "terms") {
  await target.goto(`${commons.base}/wifi/${slug}${query}`);
  await scan(target, `landing ${slug}${query ? " with access point" : ""}`);
  await consentAndSubmit(form(target, "terms"), options);
  if (!query) {
    const credential = await shownCredential(target);
    await scan(target, `credentials (${label})`);
    return credential;
  }
  return null;
}

/** The newest six-digit code mailed to `email`. */
async function mailedCode(email, count) {
  const messages = await smtp.waitFor(email, count);
  const code = messages.at(-1).body.match(/\b(\d{6})\b/);
  assert.ok(code, `no six-digit code in ${JSON.stringify(messages.at(-1))}`);
  return code[1];
}

/** Starts an email sign-up on the landing page; returns once the code page is shown. */
async function emailStart(target, email) {
  await target.goto(`${commons.base}/wifi/${SITE}`);
  const signUp = form(target, "email");
  await signUp.locator('input[name="email"]').fill(email);
  await consentAndSubmit(signUp);
  await target.locator('form[action$="/email/verify"] input[name="code"]').waitFor();
  await scan(target, "code entry");
}

/** Enters `code` on the code page and returns the response to that POST. */
async function enterCode(target, code) {
  const verify = target.locator('form[action$="/email/verify"]');
  await verify.locator('input[name="code"]').fill(code);
  const answered = target.waitForResponse((r) => r.url().endsWith("/email/verify") && r.request().method() === "POST");
  await verify.locator('button[type="submit"], input[type="submit"]').first().click();
  const response = await answered;
  await target.waitForLoadState();
  return response;
}

/** A code that is not `code`. */
const wrongCode = (code) => `${code.slice(0, 5)}${(Number(code[5]) + 1) % 10}`;

/** Issues one single-use voucher with the CLI and returns its code. */
function issueVoucher() {
  const output = commons.cli("voucher", "issue", "--site", SITE, "--count", "1", "--duration", "1h");
  return output.trim().split("\n").at(-1).trim();
}

/** Signs up with `voucher` on the landing page. */
async function voucherSignUp(target, voucher) {
  await target.goto(`${commons.base}/wifi/${SITE}`);
  const signUp = form(target, "voucher");
  await signUp.locator('input[name="code"]').fill(voucher);
  await consentAndSubmit(signUp);
}

/**
 * CoovaChilli's landing query: the person is not yet logged on at this challenge. Chilli
 * signs the address it redirects to with `md`, MD5 over that address and the UAM secret.
 */
function chilliQuery(mac, challenge, uamSecret = UAM_SECRET) {
  const params = new URLSearchParams({
    res: "notyet", uamip: "127.0.0.1", uamport: String(stub.port), challenge: challenge.toString("hex"),
    mac, ip: "10.1.0.7", called: "02-00-00-00-00-AA", nasid: "library-ap",
    userurl: `${stub.base}/was-going-to`,
  });
  const md = md5(`${commons.base}/wifi/${SITE}?${params}`, uamSecret).toString("hex").toUpperCase();
  return `?${params}&md=${md}`;
}

/** Waits until the browser is at the stub's `/logon` and returns what it was given. */
async function chilliLogon(target) {
  await target.waitForURL((url) => url.port === String(stub.port) && url.pathname === "/logon");
  const url = new URL(target.url());
  return { username: url.searchParams.get("username"), response: url.searchParams.get("response") };
}

/**
 * What CoovaChilli sends after a UAM logon: CHAP with identifier 0, the response from the
 * portal, and as CHAP-Challenge the challenge hashed with the UAM secret.
 */
function chilliAccessRequest({ username, response }, challenge, mac) {
  return radclient(commons.radius.auth, SECRET, {
    "User-Name": quoted(username),
    "CHAP-Password": `0x00${response}`,
    "CHAP-Challenge": `0x${md5(challenge, UAM_SECRET).toString("hex")}`,
    "Calling-Station-Id": quoted(mac),
  });
}

/** Meraki's sign-on splash query: where to post the credential, and the device. */
function merakiQuery(mac) {
  const params = new URLSearchParams({
    login_url: `${stub.base}/splash/login?mauth=test-mauth`,
    continue_url: `${stub.base}/was-going-to`,
    ap_mac: "02:00:00:00:00:bb", ap_name: "library-ap", client_mac: mac.toLowerCase().replaceAll("-", ":"),
    client_ip: "10.1.0.8",
  });
  return `?${params}`;
}

/** Any other NAS: where to post the credential, the device and the page first asked for. */
function nasQuery(mac) {
  const params = new URLSearchParams({
    login_url: `${stub.base}/login`, mac, ip: "10.1.0.9", url: `${stub.base}/was-going-to`,
  });
  return `?${params}`;
}

/** Submits the hand-off form and returns the fields the stub's login URL received. */
async function submitHandOff(target, path = /^\/splash\/login\?mauth=test-mauth$/) {
  const handOff = target.locator("form#handoff");
  await handOff.waitFor();
  const seen = stub.requests.length;
  await handOff.locator('button[type="submit"], input[type="submit"]').first().click();
  await target.waitForURL((url) => url.port === String(stub.port));
  const posted = stub.requests.slice(seen).find((r) => r.method === "POST");
  assert.ok(posted, "the access point's login URL received a POST");
  assert.match(posted.url, path);
  return Object.fromEntries(new URLSearchParams(posted.body));
}

test("a terms sign-up without an access point shows a credential RADIUS accepts", async () => {
  const { username, password } = await termsSignUp(page, SITE);
  assert.equal(pap(username, password).code, "Access-Accept");
  assert.equal(pap(username, `${password}x`).code, "Access-Reject");
  assert.equal(pap(`${username}x`, password).code, "Access-Reject");
});

test("an emailed code signs a person up; a wrong code is refused with the form again", async () => {
  const email = "ann@example.org";
  await emailStart(page, email);
  const code = await mailedCode(email, 1);

  const refused = await enterCode(page, wrongCode(code));
  assert.ok(refused.status() >= 400 && refused.status() < 500, `wrong code answered ${refused.status()}`);
  assert.match(await page.locator('[role="alert"]').textContent(), /code is not right.*try 4 more times/s);
  await page.locator('form[action$="/email/verify"] input[name="code"]').waitFor();
  await scan(page, "refusal (wrong code)");

  // A new code replaces the first one.
  await page.getByRole("button", { name: "Send a new code" }).click();
  const newCode = await mailedCode(email, 2);
  const replaced = await enterCode(page, code);
  assert.ok(replaced.status() >= 400 && replaced.status() < 500, `the replaced code answered ${replaced.status()}`);

  const accepted = await enterCode(page, newCode);
  assert.equal(accepted.status(), 200);
  const { username, password } = await shownCredential(page);
  await scan(page, "credentials (email)");
  assert.equal(pap(username, password).code, "Access-Accept");
  assert.equal(pap(username, "not-the-password").code, "Access-Reject");
});

test("a voucher made with the CLI signs a person up and RADIUS accepts it", async () => {
  const voucher = issueVoucher();
  await voucherSignUp(page, voucher);
  const { username, password } = await shownCredential(page);
  await scan(page, "credentials (voucher)");
  // The voucher itself is the credential, so RADIUS spends its uses: one device may come
  // back, a second device finds its only use spent.
  assert.equal(username.replaceAll("-", ""), voucher.replaceAll("-", ""));
  const device = newMac();
  assert.equal(pap(username, `${password}x`, device).code, "Access-Reject");
  assert.equal(pap(username, password, device).code, "Access-Accept");
  assert.equal(pap(username, password, device).code, "Access-Accept");
  assert.equal(pap(username, password, newMac()).code, "Access-Reject");
});

test("CoovaChilli: the page hands off to the UAM logon and chilli's CHAP request is accepted", async () => {
  const mac = newMac();
  const challenge = randomBytes(16);
  await termsSignUp(page, SITE, chilliQuery(mac, challenge), { remember: true });
  const logon = await chilliLogon(page);
  assert.ok(logon.username && /^[0-9a-f]{32}$/.test(logon.response), page.url());

  assert.equal(chilliAccessRequest(logon, challenge, mac).code, "Access-Accept");
  assert.equal(chilliAccessRequest(logon, randomBytes(16), mac).code, "Access-Reject");

  // Remembered: the device comes back at a new challenge and goes straight to the logon.
  await chromium.context.clearCookies();
  const again = randomBytes(16);
  await page.goto(`${commons.base}/wifi/${SITE}${chilliQuery(mac, again)}`);
  const second = await chilliLogon(page);
  assert.equal(chilliAccessRequest(second, again, mac).code, "Access-Accept");
});

test("Meraki sign-on: the hand-off form posts a credential RADIUS accepts", async () => {
  const mac = newMac();
  await termsSignUp(page, SITE, merakiQuery(mac), { remember: true });
  await scan(page, "hand-off form");
  const { username, password } = await submitHandOff(page);
  assert.equal(pap(username, password, mac).code, "Access-Accept");
  assert.equal(pap(username, `${password}x`, mac).code, "Access-Reject");
  // The credential is bound to the device the access point named.
  assert.equal(pap(username, password, newMac()).code, "Access-Reject");

  // Remembered: the device's next visit shows the hand-off form straight away.
  await chromium.context.clearCookies();
  await page.goto(`${commons.base}/wifi/${SITE}${merakiQuery(mac)}`);
  assert.equal(await page.locator('form[action$="/terms"]').count(), 0, "no sign-up form for a remembered device");
  const again = await submitHandOff(page);
  assert.equal(pap(again.username, again.password, mac).code, "Access-Accept");
});

test("another NAS: the hand-off form posts a credential bound to the device", async () => {
  const mac = newMac();
  await termsSignUp(page, SITE, nasQuery(mac));
  const { username, password } = await submitHandOff(page, /^\/login$/);
  assert.equal(pap(username, password, mac).code, "Access-Accept");
  assert.equal(pap(username, password, newMac()).code, "Access-Reject");
});

test("a device whose owner did not ask to be remembered signs up again", async () => {
  const mac = newMac();
  await termsSignUp(page, SITE, merakiQuery(mac));
  await submitHandOff(page);
  await chromium.context.clearCookies();
  await page.goto(`${commons.base}/wifi/${SITE}${merakiQuery(mac)}`);
  await form(page, "terms").waitFor();
});

test("a refusal says what to do next and shows the form again", async () => {
  await page.goto(`${commons.base}/wifi/${SITE}`);
  const answered = page.waitForResponse((r) => r.url().endsWith("/terms") && r.request().method() === "POST");
  await form(page, "terms").locator('button[type="submit"]').click();
  const refused = await answered;
  assert.equal(refused.status(), 422);
  await page.waitForLoadState();
  assert.match(await page.locator('[role="alert"]').textContent(), /terms/i);
  await form(page, "terms").locator('input[name="accept"]').waitFor();
  await scan(page, "refusal (no consent)");

  await voucherSignUp(page, "NOPE-NOPE");
  assert.match(await page.locator('[role="alert"]').textContent(), /do not recognise that code/);
  await form(page, "voucher").waitFor();
  await scan(page, "refusal (unknown voucher)");

  const forged = await page.goto(`${commons.base}/wifi/${SITE}${chilliQuery(newMac(), randomBytes(16), "not-the-secret")}`);
  assert.equal(forged.status(), 400);
  assert.match(await page.locator('[role="alert"]').textContent(), /cannot use/);
  await scan(page, "refusal (bad access point parameters)");

  const missing = await page.goto(`${commons.base}/wifi/no-such-site`);
  assert.equal(missing.status(), 404);
  await scan(page, "no such site");
});

test("the probes and the RFC 8908 API answer", async () => {
  const probe = await fetch(`${commons.base}/generate_204`);
  assert.equal(probe.status, 204);
  const apple = await fetch(`${commons.base}/hotspot-detect.html`);
  assert.match(await apple.text(), /Success/);
  const api = await fetch(`${commons.base}/wifi/${SITE}/api`);
  assert.equal(api.status, 200);
  assert.match(api.headers.get("content-type"), /^application\/captive\+json/);
  const body = await api.json();
  assert.equal(typeof body.captive, "boolean");
  assert.match(body["user-portal-url"], new RegExp(`/wifi/${SITE}$`));
});

test("every captive page passes axe-core", async () => {
  for (const slug of [SITE, ...Object.values(MODE_SITES)]) {
    await page.goto(`${commons.base}/wifi/${slug}`);
    await scan(page, `landing ${slug}`);
  }
  for (const path of ["terms", "privacy", "about", "online"]) {
    await page.goto(`${commons.base}/wifi/${SITE}/${path}`);
    await scan(page, path);
  }
  const expected = [
    "refusal (no consent)", "refusal (unknown voucher)", "refusal (bad access point parameters)",
    "no such site", "about", "online",
    `landing ${SITE}`, "landing terms-only", "landing email-only", "landing voucher-only",
    "landing central-library with access point", "code entry", "refusal (wrong code)",
    "credentials (terms)", "credentials (email)", "credentials (voucher)", "hand-off form",
    "terms", "privacy",
  ];
  for (const label of expected) assert.ok(scanned.has(label), `${label} was not scanned`);
  const failing = [...scanned].filter(([, violations]) => violations.length > 0);
  assert.deepEqual(failing, [], `axe-core violations on ${failing.length} of ${scanned.size} pages`);
});

test("every captive page works with JavaScript disabled", { timeout: 120_000 }, async () => {
  const noScript = await launchChromium({ javaScriptEnabled: false });
  try {
    const plain = await noScript.context.newPage();
    for (const slug of Object.values(MODE_SITES)) {
      await plain.goto(`${commons.base}/wifi/${slug}`);
      await form(plain, Object.keys(MODE_SITES).find((m) => MODE_SITES[m] === slug)).waitFor();
    }
    for (const path of ["terms", "privacy", "about", "online"]) {
      const answer = await plain.goto(`${commons.base}/wifi/${SITE}/${path}`);
      assert.equal(answer.status(), 200, path);
    }

    await plain.goto(`${commons.base}/wifi/${SITE}`);
    await consentAndSubmit(form(plain, "terms"));
    const terms = await shownCredential(plain);
    assert.equal(pap(terms.username, terms.password).code, "Access-Accept");

    const email = "bob@example.org";
    await emailStart(plain, email);
    const code = await mailedCode(email, 1);
    assert.ok((await enterCode(plain, wrongCode(code))).status() >= 400);
    await enterCode(plain, code);
    const mailed = await shownCredential(plain);
    assert.equal(pap(mailed.username, mailed.password).code, "Access-Accept");

    await voucherSignUp(plain, issueVoucher());
    const vouched = await shownCredential(plain);
    assert.equal(pap(vouched.username, vouched.password).code, "Access-Accept");

    const mac = newMac();
    await plain.goto(`${commons.base}/wifi/${SITE}${merakiQuery(mac)}`);
    await consentAndSubmit(form(plain, "terms"));
    const handedOff = await submitHandOff(plain);
    assert.equal(pap(handedOff.username, handedOff.password, mac).code, "Access-Accept");

    const challenge = randomBytes(16);
    const chilliMac = newMac();
    await plain.goto(`${commons.base}/wifi/${SITE}${chilliQuery(chilliMac, challenge)}`);
    await consentAndSubmit(form(plain, "terms"));
    assert.equal(chilliAccessRequest(await chilliLogon(plain), challenge, chilliMac).code, "Access-Accept");
  } finally {
    await noScript.close();
  }
});
