// The Node receiver (webhook_receiver.mjs) against mockserver's webhook probe, for both providers:
// `mockserver run --port 0 --ready-file FILE` as in sandbox.test.mjs, the receiver on a free port,
// then POST /_mock/webhook to point each account at it and POST /_mock/webhooks/probe.
// Run it with:   node --test examples/node/webhook_receiver.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as pause } from "node:timers/promises";

import { createReceiver } from "./webhook_receiver.mjs";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";   // the default scenario's signing secret
const START_TIMEOUT_MS = 15_000;

let server, url, folder, receiver, receiverUrl;

before(async () => {
  folder = mkdtempSync(join(tmpdir(), "mockserver-"));
  const readyFile = join(folder, "ready.json");
  server = spawn(process.env.MOCKSERVER_BIN || "mockserver", ["run", "--port", "0", "--frozen", "--ready-file", readyFile],
                 { stdio: ["ignore", "ignore", "inherit"] });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!url) {
    if (server.exitCode !== null) throw new Error(`mockserver exited with ${server.exitCode}`);
    if (Date.now() > deadline) throw new Error(`mockserver wrote no ${readyFile} in time`);
    try {
      url = JSON.parse(readFileSync(readyFile, "utf8")).url;
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
      await pause(50);                           // waiting for the process to start, not for virtual time
    }
  }
  receiver = createReceiver({ provynxSecret: SECRET, pvadealsSecret: "s3cr3t" });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  receiverUrl = `http://127.0.0.1:${receiver.address().port}`;
});

after(async () => {
  receiver?.close();
  if (server && server.exitCode === null) {
    const exited = once(server, "exit");
    server.kill("SIGTERM");
    await exited;
  }
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function control(path, body) {
  const headers = { "Content-Type": "application/json" };
  if (process.env.MOCKSERVER_ADMIN_TOKEN) headers["X-Admin-Token"] = process.env.MOCKSERVER_ADMIN_TOKEN;
  const response = await fetch(url + "/_mock" + path, { method: "POST", headers, body: JSON.stringify(body) });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer;
}

for (const [provider, key, path] of [["provynx", "nsk_live_mock", "/provynx"],
                                     ["pvadeals", "API-mock-default", "/pvadeals?secret=s3cr3t"]]) {
  test(`the ${provider} receiver refuses every forged probe and accepts the genuine ones`, async () => {
    await control("/webhook", { key, url: receiverUrl + path });
    const probe = await control("/webhooks/probe", { key });
    assert.deepEqual(probe.results.filter((r) => !r.as_expected), []);
    assert.equal(probe.as_expected, true);
  });
}
