// A minimal webhook receiver that verifies what it is sent, for both providers, with Node's own
// modules only (Node 18+). It passes mockserver's webhook probe (POST /_mock/webhooks/probe): every
// forged, stale or unsigned delivery refused with a 4xx, the genuine ones accepted.
//
// - Provynx signs by the Standard Webhooks scheme: HMAC-SHA256, keyed with the base64 after
//   "whsec_", over "{webhook-id}.{webhook-timestamp}.{body}" (the exact bytes received), compared in
//   constant time against each "v1,<base64>" of webhook-signature (two during a key rotation); the
//   three headers are required and the timestamp must be within 5 minutes of now.
// - PVADeals signs nothing: the secret is in the query string of the URL you register
//   (https://you.example/hooks/pvadeals?secret=...), compared in constant time.
//
// A message id seen before is acknowledged without handling it again: providers deliver at least once.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const TOLERANCE_S = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;

export function verifyStandardWebhook(secret, headers, body, nowS = Date.now() / 1000) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowS - Number(timestamp)) > TOLERANCE_S) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const versioned of signatures.split(" ")) {
    const [version, signature] = versioned.split(",");      // "v1=..." has no comma: not a v1 signature
    if (version !== "v1" || !signature) continue;
    const given = Buffer.from(signature, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  return false;
}

export function sameSecret(given, expected) {
  const a = Buffer.from(given ?? "");
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

// onEvent(provider, payload) is called once per message; queue the work there and return.
export function createReceiver({ provynxSecret, pvadealsSecret, onEvent = () => {} }) {
  const seen = new Set();                        // message ids handled (keep them a few days)
  const handle = (id, provider, body) => {
    let payload;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return 400;
    }
    id = id ?? `${payload.event}:${payload.requestId}:${payload.timestamp}`;   // PVADeals sends no id
    if (!seen.has(id)) {
      seen.add(id);
      onEvent(provider, payload);
    }
    return 204;
  };
  return createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(request.url, "http://receiver");
      let status = 404;
      if (request.method !== "POST") {
        status = 405;
      } else if (url.pathname === "/provynx") {
        status = verifyStandardWebhook(provynxSecret, request.headers, body)
          ? handle(request.headers["webhook-id"], "provynx", body) : 401;
      } else if (url.pathname === "/pvadeals") {
        status = sameSecret(url.searchParams.get("secret"), pvadealsSecret) ? handle(null, "pvadeals", body) : 403;
      }
      response.writeHead(status).end();
    });
  });
}
