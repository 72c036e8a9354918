// An independent ActivityPub implementation (Fedify) reads a live Convene
// and talks to it. Usage: node check.mjs BASE_URL USERNAME EVENT_URL
// Prints one JSON object with what it saw; exits non-zero on failure.
import http from "node:http";
import {
  Accept, CryptographicKey, Follow, Person, generateCryptoKeyPair,
  getDocumentLoader, lookupObject, lookupWebFinger, signRequest, verifyRequest,
} from "@fedify/fedify";

const [base, username, eventUrl] = process.argv.slice(2);
const host = new URL(base).host;
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });
const out = {};
const t0 = Date.now();
const lap = (name) => { (out.ms ??= {})[name] = Date.now() - t0; };

function fail(msg) {
  console.log(JSON.stringify({ ...out, error: msg }));
  process.exit(1);
}

// Reading: WebFinger, the actor by handle and by URL, the event.
const jrd = await lookupWebFinger(`acct:${username}@${host}`, { allowPrivateAddress: true });
out.webfingerSelf = jrd?.links?.find((l) => l.rel === "self")?.href ?? null;
lap("webfinger");
const byHandle = await lookupObject(`@${username}@${host}`, { documentLoader, allowPrivateAddress: true });
if (!(byHandle instanceof Person)) fail("lookupObject of the handle did not give a Person");
out.handleActor = byHandle.id?.href;
out.preferredUsername = byHandle.preferredUsername?.toString();
out.inbox = byHandle.inboxId?.href;
lap("lookupHandle");
const byURL = await lookupObject(out.handleActor, { documentLoader, allowPrivateAddress: true });
out.urlActorType = byURL?.constructor?.name;
lap("lookupURL");
const event = await lookupObject(eventUrl, { documentLoader, allowPrivateAddress: true });
out.eventType = event?.constructor?.name;
out.eventName = event?.name?.toString();
out.eventStart = event?.startTime?.toString();
const place = await event?.getLocation({ documentLoader });
out.eventPlace = place?.name?.toString() ?? null;

lap("event");
// Talking: a Follow signed by Fedify, and the Accept it must verify.
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
let resolveAccept;
const acceptSeen = new Promise((r) => { resolveAccept = r; });
const server = http.createServer(async (req, res) => {
  const self = `http://127.0.0.1:${server.address().port}`;
  if (req.method === "GET" && req.url === "/actor") {
    const person = new Person({
      id: new URL(`${self}/actor`),
      preferredUsername: "fedi",
      inbox: new URL(`${self}/inbox`),
      publicKey: new CryptographicKey({
        id: new URL(`${self}/actor#main-key`),
        owner: new URL(`${self}/actor`),
        publicKey: keys.publicKey,
      }),
    });
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(JSON.stringify(await person.toJsonLd()));
    return;
  }
  if (req.method === "POST" && req.url === "/inbox") {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const request = new Request(`${self}${req.url}`, { method: "POST", headers, body });
    const key = await verifyRequest(request, { documentLoader });
    res.writeHead(202);
    res.end();
    let activity = null;
    try { activity = JSON.parse(body.toString()); } catch { /* reported below */ }
    resolveAccept({ verifiedKey: key?.id?.href ?? null, type: activity?.type, object: activity?.object });
    return;
  }
  res.writeHead(404);
  res.end();
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const self = `http://127.0.0.1:${server.address().port}`;
const follow = new Follow({
  id: new URL(`${self}/follows/1`),
  actor: new URL(`${self}/actor`),
  object: new URL(out.handleActor),
});
const request = new Request(out.inbox, {
  method: "POST",
  headers: { "content-type": "application/activity+json", accept: "application/activity+json" },
  body: JSON.stringify(await follow.toJsonLd()),
});
const signed = await signRequest(request, keys.privateKey, new URL(`${self}/actor#main-key`));
const response = await fetch(signed);
lap("follow");
out.followStatus = response.status;
const timeout = new Promise((r) => setTimeout(() => r(null), 30000));
const accept = await Promise.race([acceptSeen, timeout]);
lap("accept");
server.close();
if (accept == null) fail("no Accept arrived within 30 s");
out.acceptType = accept.type;
out.acceptVerifiedKey = accept.verifiedKey;
out.acceptObject = typeof accept.object === "string" ? accept.object : accept.object?.id;
console.log(JSON.stringify(out));
