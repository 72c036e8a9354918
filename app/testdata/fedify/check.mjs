// An independent ActivityPub implementation (Fedify) reads a live Convene
// and talks to it. Usage: node check.mjs BASE_URL USERNAME EVENT_URL
// Fedify's actor publishes its key at a path of its own (/actor/main-key,
// the shape GoToSocial uses, not a #fragment), follows USERNAME, prints
// {"stage":"followed"} once the Accept came, then waits for the Create of
// the event the test publishes then and reads it with its picture.
// Prints one JSON object with what it saw last; exits non-zero on failure.
import http from "node:http";
import {
  Activity, Create, CryptographicKey, Document, Event, Follow, Person, generateCryptoKeyPair,
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
let resolveAccept, resolveCreate;
const acceptSeen = new Promise((r) => { resolveAccept = r; });
const createSeen = new Promise((r) => { resolveCreate = r; });
const server = http.createServer(async (req, res) => {
  const self = `http://127.0.0.1:${server.address().port}`;
  const key = () => new CryptographicKey({
    id: new URL(`${self}/actor/main-key`),
    owner: new URL(`${self}/actor`),
    publicKey: keys.publicKey,
  });
  if (req.method === "GET" && req.url === "/actor") {
    const person = new Person({
      id: new URL(`${self}/actor`),
      preferredUsername: "fedi",
      inbox: new URL(`${self}/inbox`),
      publicKey: key(),
    });
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(JSON.stringify(await person.toJsonLd()));
    return;
  }
  if (req.method === "GET" && req.url === "/actor/main-key") {
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(JSON.stringify(await key().toJsonLd()));
    return;
  }
  if (req.method === "POST" && req.url === "/inbox") {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const request = new Request(`${self}${req.url}`, { method: "POST", headers, body });
    const verified = await verifyRequest(request, { documentLoader });
    res.writeHead(202);
    res.end();
    let activity = null;
    try { activity = JSON.parse(body.toString()); } catch { /* reported below */ }
    const seen = { verifiedKey: verified?.id?.href ?? null, type: activity?.type, object: activity?.object, json: activity };
    if (activity?.type === "Create") resolveCreate(seen);
    else resolveAccept(seen);
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
const signed = await signRequest(request, keys.privateKey, new URL(`${self}/actor/main-key`));
const response = await fetch(signed);
lap("follow");
out.followStatus = response.status;
const timeout = new Promise((r) => setTimeout(() => r(null), 30000));
const accept = await Promise.race([acceptSeen, timeout]);
lap("accept");
if (accept == null) fail("no Accept arrived within 30 s");
out.acceptType = accept.type;
out.acceptVerifiedKey = accept.verifiedKey;
out.acceptObject = typeof accept.object === "string" ? accept.object : accept.object?.id;

// The test publishes an event now; it comes as a Create with its picture.
console.log(JSON.stringify({ stage: "followed" }));
const created = await Promise.race([createSeen, new Promise((r) => setTimeout(() => r(null), 30000))]);
lap("create");
if (created == null) fail("no Create arrived within 30 s");
out.createVerifiedKey = created.verifiedKey;
const create = await Activity.fromJsonLd(created.json, { documentLoader });
if (!(create instanceof Create)) fail("the delivery is not a Create");
const ev = await create.getObject({ documentLoader });
if (!(ev instanceof Event)) fail("the Create's object is not an Event");
out.createdEventName = ev.name?.toString();
const attachments = [];
for await (const a of ev.getAttachments({ documentLoader })) attachments.push(a);
const picture = attachments[0];
out.pictureType = picture?.constructor?.name;
out.pictureMediaType = picture?.mediaType ?? null;
out.pictureURL = picture instanceof Document ? picture.url?.href ?? null : null;
if (out.pictureURL) {
  const got = await fetch(out.pictureURL);
  out.pictureFetchedType = got.headers.get("content-type");
  out.pictureBytes = (await got.arrayBuffer()).byteLength;
}
server.close();
console.log(JSON.stringify(out));
