// The portal in headless Chromium against a running `commons up`: a group signs up,
// confirms its email from the outbox, the council approves it, it installs an
// application (journalled by the in-memory hosting) and invites a member who accepts.
// Every page on the way, and every other page, is scanned with axe-core.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCommons, launchChromium, axeViolations } from "./harness.mjs";

const PASSWORD = "correct horse battery";
const ADMIN = "admin@council.example";
const OWNER = "ann@example.org";
const MEMBER = "bob@example.org";

let commons;
let chromium;
let page;
const scanned = new Map();

before(async () => {
  commons = await startCommons();
  chromium = await launchChromium();
  page = await chromium.context.newPage();
});

after(async () => {
  await chromium?.close();
  await commons?.stop();
});

/** Scans the current page and remembers its violations under its path. */
async function scan(label) {
  const path = new URL(page.url()).pathname;
  const key = `${label ?? ""}${path}`;
  scanned.set(key, await axeViolations(page));
  if (process.env.SCREENSHOTS) {
    const name = key.replace(/[^a-z0-9]+/gi, "_").slice(0, 80);
    await page.screenshot({ path: `${process.env.SCREENSHOTS}/${name}.png`, fullPage: true });
  }
}

async function visit(path, label) {
  const response = await page.goto(`${commons.base}${path}`);
  await scan(label);
  return response;
}

async function signInAs(email) {
  await chromium.context.clearCookies();
  await visit("/sign-in");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/orgs$/);
}

test("the accessibility scan finds violations planted in a page", async () => {
  await page.setContent('<html><body><img src="x.png"><input type="text"></body></html>');
  const ids = (await axeViolations(page)).map((v) => v.id);
  assert.ok(ids.includes("image-alt"), ids.join(", "));
  assert.ok(ids.includes("label"), ids.join(", "));
  assert.ok(ids.includes("html-has-lang"), ids.join(", "));
});

test("a group signs up, is approved, installs an app and a member joins", { timeout: 240_000 }, async () => {
  // The council's first administrator, from the link printed at start-up.
  await page.goto(commons.setupLink);
  await scan("setup");
  await page.getByLabel("Email address").fill(ADMIN);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await page.getByRole("heading", { name: "Your account is ready" }).waitFor();

  // A voluntary group signs up; a bad form first shows errors beside the fields.
  await chromium.context.clearCookies();
  await visit("/");
  await visit("/sign-up");
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByText("There is a problem").waitFor();
  await scan("errors");
  await page.getByLabel("Organisation name").fill("Friends of the Park");
  await page.getByLabel("Voluntary or community group").check();
  await page.getByLabel("Your name").fill("Ann");
  await page.getByLabel("Email address").fill(OWNER);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Register" }).click();
  await page.waitForURL(/\/orgs\/\d+$/);
  const orgPath = new URL(page.url()).pathname;
  await scan();
  assert.match(await page.textContent("main"), /pending/);

  await visit(commons.emailedLink(OWNER));
  assert.match(await page.textContent("h1"), /Email address confirmed/);

  // The council approves it.
  await signInAs(ADMIN);
  await visit("/admin");
  await visit("/admin/orgs?status=pending");
  await page.getByRole("link", { name: "Friends of the Park" }).click();
  await scan();
  await page.getByRole("button", { name: "Approve Friends of the Park" }).click();
  await page.getByText("now approved").waitFor();
  await scan("approved");
  for (const path of ["/admin/orgs", "/admin/plans", "/admin/plans/1", "/admin/audit", "/admin/reports", "/account/tokens"]) {
    await visit(path);
  }
  assert.deepEqual(commons.hostingCalls().map((c) => c.call), ["ensure_tenant"]);

  // The council sets up a Wi-Fi site, its NAS client, vouchers; errors are shown too.
  await visit("/admin/wifi");
  await page.getByLabel("Usage report interval in seconds").fill("30");
  await page.getByRole("button", { name: "Add site" }).click();
  await page.getByText("There is a problem").waitFor();
  await scan("site-errors");
  await page.getByLabel("Name", { exact: true }).fill("Central Library");
  await page.getByLabel("Usage report interval in seconds").fill("300");
  await page.getByRole("button", { name: "Add site" }).click();
  await page.waitForURL(/\/admin\/wifi\/\d+$/);
  await scan();
  const sitePath = new URL(page.url()).pathname;
  await visit(`${sitePath}/nas`);
  await page.getByLabel("Address or network").fill("192.0.2.0/24");
  await page.getByLabel("Make").selectOption("mikrotik");
  await page.getByRole("button", { name: "Add NAS client" }).click();
  await page.getByText("shown only this once").waitFor();
  await scan("nas-created");
  // The NAS client is renamed and given a new secret.
  await page.getByRole("link", { name: "Edit NAS client 192.0.2.0/24" }).click();
  await scan("nas-edit");
  await page.getByLabel("Name").fill("Ground floor");
  await page.getByRole("button", { name: "Save NAS client" }).click();
  await page.getByText("NAS client Ground floor saved.").waitFor();
  await page.getByRole("link", { name: "Edit NAS client Ground floor" }).click();
  await page.getByRole("button", { name: "Make a new secret" }).click();
  await page.getByText("shown only this once").waitFor();
  await scan("nas-secret");
  // The captive portal: a bad controller address is named next to its field.
  await visit(sitePath);
  await page.getByLabel("Controller address").fill("ftp://unifi.example");
  await page.getByLabel("The controller's name for the site").fill("default");
  await page.getByLabel("User name").fill("commons");
  await page.getByLabel(/^Password/).fill("controller password");
  await page.getByRole("button", { name: "Save captive portal settings" }).click();
  await page.getByText("There is a problem").waitFor();
  await scan("captive-errors");
  await page.getByLabel("Controller address").fill("https://unifi.example:8443/");
  // Secrets are never written back into a form: the password is typed again.
  await page.getByLabel(/^Password/).fill("controller password");
  await page.getByRole("button", { name: "Save captive portal settings" }).click();
  await page.getByText("Captive portal settings saved.").waitFor();
  // Branding: too little contrast is refused, then a version is published with a logo.
  await visit(`${sitePath}/branding`);
  await page.getByLabel("Colour of buttons and links").fill("#eeeeee");
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByText("There is a problem").waitFor();
  await scan("branding-errors");
  await page.getByLabel("Colour of buttons and links").fill("#0b3d5c");
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
  await page.getByLabel("New logo").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: png });
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByText("Branding version 1 published.").waitFor();
  await scan("branding-published");
  assert.equal(await page.locator("img[alt='Logo of version 1']").evaluate((img) => img.naturalWidth), 1);
  await visit(`${sitePath}/vouchers`);
  await page.getByLabel("How many codes").fill("8");
  await page.getByRole("button", { name: "Issue vouchers" }).click();
  await page.waitForURL(/\/vouchers\/[^/]+$/);
  await scan("sheet");
  assert.equal((await page.locator(".sheet li").count()), 8);
  for (const path of [`${sitePath}/vouchers`, `${sitePath}/people`, "/admin/reports"]) {
    await visit(path, "wifi");
  }

  // The owner installs an application.
  await signInAs(OWNER);
  await visit(orgPath);
  await visit(`${orgPath}/apps`);
  await page.getByLabel("Application").selectOption("nextcloud");
  await page.getByLabel("Name").fill("files");
  await page.getByRole("button", { name: "Install" }).click();
  await page.waitForURL(/\/apps\/files$/);
  await scan();
  assert.match(await page.textContent("main"), /Running/);
  const install = commons.hostingCalls().find((c) => c.call === "install_app");
  assert.equal(install.tenant, "friends-of-the-park");
  assert.equal(install.spec.application, "nextcloud");
  await visit(`${orgPath}/apps/files/remove`);
  assert.match(await page.textContent("main"), /cannot be recovered/);
  await visit(`${orgPath}/apps`);

  // The owner invites a member, who creates an account from the emailed link.
  await visit(`${orgPath}/members`);
  await page.getByLabel("Their email address").fill(MEMBER);
  await page.getByRole("button", { name: "Send invitation" }).click();
  await page.getByText(`Invitation sent to ${MEMBER}`).waitFor();
  await scan("invited");
  await chromium.context.clearCookies();
  await visit(commons.emailedLink(MEMBER));
  await page.getByLabel("Your name").fill("Bob");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account and join" }).click();
  await page.waitForURL(new RegExp(`${orgPath}$`));
  await scan("joined");
  await visit(`${orgPath}/members`, "as-member");
  assert.match(await page.textContent("main"), new RegExp(MEMBER));

  // Pages not yet seen: signed-out ones and a missing page.
  await chromium.context.clearCookies();
  for (const path of ["/sign-in", "/password-reset", "/password-reset/expired-or-unknown", "/orgs/999"]) {
    await visit(path);
  }

  const failing = [...scanned].filter(([, violations]) => violations.length > 0);
  assert.deepEqual(failing, [], `axe-core violations on ${failing.length} of ${scanned.size} pages`);
  assert.ok(scanned.size >= 32, `only ${scanned.size} pages scanned`);
});
