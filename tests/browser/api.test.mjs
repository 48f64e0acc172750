// The JSON API of a running `commons up`: its OpenAPI document validates, and a bounded
// schemathesis run with a council administrator's token finds no server error.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startCommons } from "./harness.mjs";

const PASSWORD = "correct horse battery";
let commons;

before(async () => {
  commons = await startCommons();
});

after(async () => {
  await commons?.stop();
});

/** A tiny cookie-keeping client for the portal's forms. */
function client(base) {
  let cookie = "";
  let csrf = "";
  async function send(path, init = {}) {
    const headers = { ...(init.headers ?? {}), ...(cookie ? { cookie } : {}) };
    const answer = await fetch(`${base}${path}`, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(10_000) });
    const set = answer.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0];
    const body = await answer.text();
    const token = body.match(/name="csrf" value="([0-9a-f]+)"/);
    if (token) csrf = token[1];
    return { status: answer.status, body };
  }
  return {
    get: (path) => send(path),
    post: (path, fields) => send(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, ...fields }).toString(),
    }),
  };
}

async function adminToken() {
  const browser = client(commons.base);
  const setup = new URL(commons.setupLink).pathname;
  const made = await browser.post(setup, { email: "admin@council.example", password: PASSWORD, confirm: PASSWORD });
  assert.equal(made.status, 200, made.body);
  await browser.get("/sign-in");
  const signedIn = await browser.post("/sign-in", { email: "admin@council.example", password: PASSWORD });
  assert.equal(signedIn.status, 303, signedIn.body);
  await browser.get("/account/tokens");
  const page = await browser.post("/account/tokens", { name: "schemathesis" });
  return page.body.match(/id="new-token">([^<]+)</)[1];
}

test("the OpenAPI document validates and schemathesis finds no server error", { timeout: 900_000 }, async () => {
  const token = await adminToken();
  const answer = await fetch(`${commons.base}/api/v1/openapi.json`);
  assert.equal(answer.status, 200);
  const documentPath = join(commons.dir, "openapi.json");
  writeFileSync(documentPath, await answer.text());

  const validate = spawnSync("python3", ["-c",
    "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')",
    documentPath], { encoding: "utf8", timeout: 60_000 });
  assert.equal(validate.status, 0, validate.stderr);

  // Something to find: an organisation of the administrator's own, approved.
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const created = await fetch(`${commons.base}/api/v1/orgs`, {
    method: "POST", headers: auth, body: JSON.stringify({ name: "Fuzz Group", kind: "voluntary" }),
  });
  assert.equal(created.status, 201, await created.text());

  const run = spawnSync("schemathesis", [
    "run", `${commons.base}/api/v1/openapi.json`,
    "--header", `Authorization: Bearer ${token}`,
    "--checks", "not_a_server_error",
    "--max-examples", process.env.SCHEMATHESIS_EXAMPLES ?? "25",
    "--request-timeout", "10",
    "--workers", "1",
    "--seed", "1",
  ], { cwd: commons.dir, encoding: "utf8", timeout: 600_000, env: { ...process.env, NO_COLOR: "1" } });
  const output = `${run.stdout}\n${run.stderr}`;
  console.log(output.slice(-3000));
  assert.equal(run.status, 0, output.slice(-6000));
  assert.match(output, /passed|Summary/i, output.slice(-2000));
});
