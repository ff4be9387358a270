// Starting the sandbox from Node's own test runner (node --test, Node 18+; no npm packages):
// `mockserver run --port 0 --ready-file FILE` picks a free port and, once it answers, writes
// {"url", "pid", "version"} to FILE, whole or not at all. The test buys a PVADeals number, moves
// the sandbox's virtual clock past the SMS (the default scenario sends one 3 s after purchase),
// and reads the number back. Run it with:   node --test examples/node/sandbox.test.mjs
// MOCKSERVER_BIN names the mockserver executable; without it, `mockserver` on PATH, else the
// checkout's own .venv/bin/mockserver (what `make run` installs).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as pause } from "node:timers/promises";

const KEY = "API-mock-default";                 // the default scenario's PVADeals account
const AIRBNB = "697139f7fe5460ddc2f27214";      // a service whose numbers get a code after 3 s
const START_TIMEOUT_MS = 15_000;

let server, url, folder;

// The executable to start: MOCKSERVER_BIN, else `mockserver` on PATH, else the checkout's .venv.
function mockserverBin() {
  if (process.env.MOCKSERVER_BIN) return process.env.MOCKSERVER_BIN;
  const onPath = (process.env.PATH || "").split(delimiter).map((dir) => join(dir, "mockserver"));
  if (onPath.some((candidate) => existsSync(candidate))) return "mockserver";
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", ".venv", "bin", "mockserver");
}

async function readyDocument(path, child) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mockserver exited with ${child.exitCode} before it was ready`);
    try {
      return JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      if (error.code !== "ENOENT") throw error;  // the file is renamed into place: never half there
    }
    await pause(50);                             // waiting for the process to start, not for virtual time
  }
  throw new Error(`mockserver wrote no ${path} within ${START_TIMEOUT_MS} ms`);
}

before(async () => {
  folder = mkdtempSync(join(tmpdir(), "mockserver-"));
  const readyFile = join(folder, "ready.json");
  // --frozen: the virtual clock moves only when the test says so. stdout (banner and request
  // log) is dropped here; a runner that pipes it must keep reading it.
  server = spawn(mockserverBin(),
                 ["run", "--port", "0", "--frozen", "--ready-file", readyFile],
                 { stdio: ["ignore", "ignore", "inherit"] });
  url = (await readyDocument(readyFile, server)).url;
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");                      // a graceful stop, as Ctrl-C
    await exited;
  }
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function call(method, path, { key, body } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  // The control API (/_mock) needs the admin token only when the server has one: the server
  // started here inherits MOCKSERVER_ADMIN_TOKEN from this environment, if it is set.
  if (path.startsWith("/_mock") && process.env.MOCKSERVER_ADMIN_TOKEN) {
    headers["X-Admin-Token"] = process.env.MOCKSERVER_ADMIN_TOKEN;
  }
  const response = await fetch(url + path, { method, headers, body: body && JSON.stringify(body) });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer;
}

test("a purchased PVADeals number receives its code once the virtual clock moves 3 s", async () => {
  const bought = await call("POST", "/v3/api/purchase", { key: KEY, body: { services: [{ serviceId: AIRBNB }] } });
  const id = bought.data.requests[0]._id;
  assert.equal(bought.data.requests[0].status, "RESERVED");

  await call("POST", "/_mock/clock", { body: { advance: "3s" } });

  const request = (await call("GET", `/v3/api/request/${id}`, { key: KEY })).data;
  assert.equal(request.status, "COMPLETED");
  assert.equal(request.messageCounter, 1);
  // PVADeals' API gives the count, not the text; the sandbox's state shows the message itself.
  const state = await call("GET", "/_mock/state");
  const message = state.pvadeals.accounts[0].requests.find((r) => r._id === id).messages[0];
  assert.match(message.code, /^\d{4,8}$/);
  assert.ok(message.text.includes(message.code), message.text);
});
