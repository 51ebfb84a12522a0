// A fast fake DynamoDB endpoint for ddbctl's data-plane benchmark (bench/bench_fake.py). Node, no dependencies.
//
//   node bench/fake_dynamodb.mjs [--port 0] [--secret KEY]
//
// It prints one line `listening <port>` and serves until stdin closes (or SIGTERM), so the server never
// outlives the bench that started it.
//
// What it answers (DynamoDB's JSON protocol, X-Amz-Target: DynamoDB_20120810.<Operation>):
// - a generated *source* table (control request `source`): N items shaped like the construction-expenses
//   data (S, N of many digits, B, SS, NS, BS, M, L, NULL, BOOL, unicode), the same for the same seed, each
//   rendered once (cached as bytes) so that a Scan page is a concatenation: Scan pages of ~1 MB (DynamoDB's
//   item sizes), Segment/TotalSegments (contiguous ranges), ExclusiveStartKey, Limit, Select=COUNT.
// - written tables (CreateTable, or BatchWriteItem into a table the control request `table` made): every
//   acknowledged put is kept as its JSON text by key, and counted; Scan pages and COUNT them too.
// - the control-plane reads a backup and a restore make (ListTables, DescribeTable, tags, TTL, PITR, ...).
// - with --secret, every request's SigV4 signature is checked (the secret of any access key): a request
//   not signed by the client's own signer fails with InvalidSignatureException, as DynamoDB's would.
// Control requests are POST /_fake/<name> with a JSON body (never signed):
//   source {table, items, seed}   define the generated table (tagged Environment=production)
//   table {table, keys}           an empty written table with key attributes (keys: ["pk","sk"])
//   faults {unprocessed, throttle, error, seed}  fractions of puts left unprocessed / calls refused
//   report {table, source}        the per-item check: lost, duplicated, changed and extra items
//   stats                         the server's own CPU (µs), requests by operation, items scanned, puts
//   drop {table}                  forget a written table
// The per-item check compares each written item with the source item of the same key in a canonical
// form (attribute and set-member order do not matter; every value's text does): nothing lost (a source
// key never written), duplicated (a put acknowledged twice for one key), changed or extra.

import { createHash, createHmac } from "node:crypto";
import http from "node:http";

const PAGE_BYTES = 1024 * 1024;
const TARGET_PREFIX = "DynamoDB_20120810.";
const REGION_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/";

// -- deterministic generation ---------------------------------------------------------------------------

function rngFor(seed, index) {
  // mulberry32 seeded by (seed, index): item i is the same whatever order items are asked in
  let state = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["concrete", "rebar", "permit", "invoice", "crane", "ümlaut", "日本", "site", "labour", "timber",
  "façade", "Ørsted", "scaffold", "€uro", "plaster"];

function int(rng, below) {
  return Math.floor(rng() * below);
}

function digits(rng, count) {
  let text = String(1 + int(rng, 9));
  while (text.length < count) text += String(int(rng, 10));
  return text;
}

function bytes(rng, count) {
  const out = Buffer.alloc(count);
  for (let i = 0; i < count; i++) out[i] = int(rng, 256);
  return out;
}

function trimNumber(text) {
  // DynamoDB answers numbers normalised: no trailing zeros after the point, no lone point
  if (!text.includes(".")) return text;
  text = text.replace(/0+$/, "");
  return text.endsWith(".") ? text.slice(0, -1) : text;
}

// An item of about 1 KB (DynamoDB's size), every type, unicode, nested binary. Attribute order is fixed
// but not sorted (DynamoDB's answers are in no particular order).
function sourceItem(seed, index) {
  const rng = rngFor(seed, index);
  const sentence = Array.from({ length: 60 }, () => WORDS[int(rng, WORDS.length)]).join(" ");
  const tags = [...new Set(Array.from({ length: 4 }, () => WORDS[int(rng, WORDS.length)]))];
  const ratios = [...new Set(Array.from({ length: 3 }, () => trimNumber((int(rng, 8000) / 8).toFixed(3))))];
  return {
    pk: { S: `company#${String(index % 997).padStart(4, "0")}` },
    sk: { S: `expense#${String(index).padStart(9, "0")}` },
    amount: { N: trimNumber(`${digits(rng, 1 + int(rng, 12))}.${String(int(rng, 100)).padStart(2, "0")}`) },
    precise: { N: digits(rng, 38) },
    negative: { N: `-0.${"0".repeat(int(rng, 5))}${digits(rng, 6)}` },
    description: { S: sentence },
    receipt: { B: bytes(rng, 160).toString("base64") },
    tags: { SS: tags },
    ratios: { NS: ratios },
    thumbnails: { BS: [bytes(rng, 24).toString("base64"), Buffer.concat([bytes(rng, 24), Buffer.from([0])]).toString("base64")] },
    meta: {
      M: {
        by: { S: `user-${1 + int(rng, 500)}` },
        sig: { B: bytes(rng, 32).toString("base64") },
        approved: { BOOL: rng() < 0.5 },
        note: { S: "" },
        history: { L: [{ N: String(int(rng, 100)) }, { NULL: true }, { B: bytes(rng, 8).toString("base64") }, { S: "Ω≈ç√" }] },
      },
    },
    flag: { BOOL: index % 3 === 0 },
    deleted: { NULL: true },
  };
}

// DynamoDB's item size: names plus values (B decoded, N by significant digits), M/L with their overhead.
function utf8(text) {
  return Buffer.byteLength(text, "utf8");
}

function numberSize(text) {
  const significant = text.replace(/^[+-]/, "").replace(/[eE].*$/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.floor((Math.max(1, significant.length) + 1) / 2) + 1;
}

function valueSize(value) {
  const [kind, inner] = Object.entries(value)[0];
  switch (kind) {
    case "S": return utf8(inner);
    case "N": return numberSize(inner);
    case "B": return Buffer.from(inner, "base64").length;
    case "SS": return inner.reduce((sum, member) => sum + utf8(member), 0);
    case "NS": return inner.reduce((sum, member) => sum + numberSize(member), 0);
    case "BS": return inner.reduce((sum, member) => sum + Buffer.from(member, "base64").length, 0);
    case "M": return 3 + Object.entries(inner).reduce((sum, [name, member]) => sum + 1 + utf8(name) + valueSize(member), 0);
    case "L": return 3 + inner.reduce((sum, member) => sum + 1 + valueSize(member), 0);
    default: return 1; // NULL, BOOL
  }
}

function itemSize(item) {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

// -- canonical form (the per-item check) ------------------------------------------------------------------

function canonicalValue(value) {
  const [kind, inner] = Object.entries(value)[0];
  switch (kind) {
    case "SS": case "NS": case "BS": return { [kind]: [...inner].sort() };
    case "M": return { M: canonicalItem(inner) };
    case "L": return { L: inner.map(canonicalValue) };
    default: return { [kind]: inner };
  }
}

function canonicalItem(item) {
  const out = {};
  for (const name of Object.keys(item).sort()) out[name] = canonicalValue(item[name]);
  return out;
}

function digest(item) {
  return createHash("sha1").update(JSON.stringify(canonicalItem(item))).digest("base64");
}

// -- tables ---------------------------------------------------------------------------------------------

const KEY_SCHEMA = [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }];
const KEY_TYPES = [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }];

class SourceTable {
  constructor(name, count, seed) {
    this.name = name;
    this.count = count;
    this.seed = seed;
    this.rendered = new Array(count); // Buffer of each item's JSON, made on first use
    this.sizes = new Int32Array(count);
    this.keySchema = KEY_SCHEMA;
    this.attributes = KEY_TYPES;
    this.tags = [{ Key: "Environment", Value: "production" }];
    this.sizeBytes = count * 1100;
  }

  render(index) {
    let data = this.rendered[index];
    if (data === undefined) {
      const item = sourceItem(this.seed, index);
      data = this.rendered[index] = Buffer.from(JSON.stringify(item));
      this.sizes[index] = itemSize(item);
    }
    return data;
  }

  indexOf(key) {
    const match = /^expense#(\d{9})$/.exec(key?.sk?.S ?? "");
    return match ? Number(match[1]) : -1;
  }

  keyOf(index) {
    return { pk: { S: `company#${String(index % 997).padStart(4, "0")}` }, sk: { S: `expense#${String(index).padStart(9, "0")}` } };
  }

  // One page of segment `segment` of `total` (contiguous ranges of indexes), after `start` (an index or -1).
  page(segment, total, start, limit, countOnly) {
    const first = Math.floor((segment * this.count) / total);
    const end = Math.floor(((segment + 1) * this.count) / total);
    let index = start < 0 ? first : start + 1;
    if (index < first || index > end) return null;
    const parts = [];
    let bytes = 0;
    let count = 0;
    while (index < end && (!limit || count < limit) && bytes < PAGE_BYTES) {
      const data = this.render(index);
      if (!countOnly) parts.push(data);
      bytes += this.sizes[index];
      count++;
      index++;
    }
    return { parts, count, last: index < end ? index - 1 : -1 };
  }
}

class WrittenTable {
  constructor(name, keySchema, attributes, tags) {
    this.name = name;
    this.keySchema = keySchema;
    this.keyNames = keySchema.map((k) => k.AttributeName);
    this.attributes = attributes;
    this.tags = tags ?? [];
    this.items = new Map(); // key text -> the item as parsed (serialised only when scanned or checked)
    this.puts = new Map(); // key text -> acknowledged puts
    this.ttl = { TimeToLiveStatus: "DISABLED" };
    this.pitr = "DISABLED";
    this.created = Date.now() / 1000;
  }

  keyText(item) {
    return JSON.stringify(this.keyNames.map((name) => item[name] ?? null));
  }

  get sizeBytes() {
    return this.items.size * 1100;
  }
}

const tables = new Map();
let faults = { unprocessed: 0, throttle: 0, error: 0 };
let faultRng = rngFor(7, 0);
const stats = { requests: {}, scannedItems: 0, putRequests: 0, batchCalls: 0, unprocessedReturned: 0,
  throttled: 0, failed: 0, badSignatures: 0 };

// -- responses ------------------------------------------------------------------------------------------

class Refusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const notFound = (name) => new Refusal(400, "ResourceNotFoundException", `Requested resource not found: Table: ${name} not found`);
const invalid = (message) => new Refusal(400, "ValidationException", message);

function table(name) {
  const found = tables.get(name);
  if (!found) throw notFound(name);
  return found;
}

function describe(t) {
  return {
    TableName: t.name, TableStatus: "ACTIVE", KeySchema: t.keySchema, AttributeDefinitions: t.attributes,
    TableArn: REGION_ARN + t.name, TableId: createHash("md5").update(t.name).digest("hex"),
    ItemCount: t instanceof SourceTable ? t.count : t.items.size, TableSizeBytes: t.sizeBytes,
    BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" },
    ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
    CreationDateTime: t.created ?? 1700000000, DeletionProtectionEnabled: false,
  };
}

function tableOfArn(arn) {
  return table(String(arn ?? "").split(":table/")[1] ?? "");
}

const operations = {
  ListTables(request) {
    const names = [...tables.keys()].sort();
    const start = request.ExclusiveStartTableName;
    const after = start ? names.filter((n) => n > start) : names;
    const limit = request.Limit || 100;
    const page = after.slice(0, limit);
    return after.length > limit ? { TableNames: page, LastEvaluatedTableName: page[page.length - 1] } : { TableNames: page };
  },
  DescribeTable: (request) => ({ Table: describe(table(request.TableName)) }),
  DescribeTimeToLive: (request) => ({ TimeToLiveDescription: table(request.TableName).ttl ?? { TimeToLiveStatus: "DISABLED" } }),
  DescribeContinuousBackups: (request) => ({ ContinuousBackupsDescription: { ContinuousBackupsStatus: "ENABLED",
    PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: table(request.TableName).pitr ?? "DISABLED" } } }),
  ListTagsOfResource: (request) => ({ Tags: tableOfArn(request.ResourceArn).tags }),
  TagResource(request) {
    const t = tableOfArn(request.ResourceArn);
    const keep = t.tags.filter((tag) => !request.Tags.some((n) => n.Key === tag.Key));
    t.tags = [...keep, ...request.Tags];
    return {};
  },
  UntagResource(request) {
    const t = tableOfArn(request.ResourceArn);
    t.tags = t.tags.filter((tag) => !request.TagKeys.includes(tag.Key));
    return {};
  },
  UpdateTimeToLive(request) {
    const spec = request.TimeToLiveSpecification;
    table(request.TableName).ttl = spec.Enabled ? { TimeToLiveStatus: "ENABLED", AttributeName: spec.AttributeName }
      : { TimeToLiveStatus: "DISABLED" };
    return { TimeToLiveSpecification: spec };
  },
  UpdateContinuousBackups(request) {
    const t = table(request.TableName);
    t.pitr = request.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled ? "ENABLED" : "DISABLED";
    return operations.DescribeContinuousBackups(request);
  },
  CreateTable(request) {
    if (tables.has(request.TableName)) throw new Refusal(400, "ResourceInUseException", `Table already exists: ${request.TableName}`);
    const t = new WrittenTable(request.TableName, request.KeySchema, request.AttributeDefinitions, request.Tags);
    tables.set(t.name, t);
    return { TableDescription: describe(t) };
  },
  DeleteTable(request) {
    const t = table(request.TableName);
    tables.delete(t.name);
    return { TableDescription: { ...describe(t), TableStatus: "DELETING" } };
  },
  Scan(request) {
    const t = table(request.TableName);
    const total = request.TotalSegments ?? 1;
    const segment = request.Segment ?? 0;
    if (segment < 0 || segment >= total) throw invalid("Segment must be less than TotalSegments");
    const countOnly = request.Select === "COUNT";
    if (t instanceof SourceTable) return scanSource(t, request, segment, total, countOnly);
    return scanWritten(t, request, segment, total, countOnly);
  },
  BatchWriteItem(request) {
    stats.batchCalls++;
    const entries = Object.entries(request.RequestItems ?? {});
    const requests = entries.reduce((sum, [, list]) => sum + list.length, 0);
    if (requests < 1 || requests > 25) throw invalid("Too many items requested for the BatchWriteItem call");
    if (faults.error && faultRng() < faults.error) {
      stats.failed++;
      throw new Refusal(500, "InternalServerError", "injected failure");
    }
    if (faults.throttle && faultRng() < faults.throttle) {
      stats.throttled++;
      throw new Refusal(400, "ProvisionedThroughputExceededException", "injected throttling");
    }
    const unprocessed = {};
    const consumed = [];
    for (const [name, list] of entries) {
      const t = table(name);
      if (t instanceof SourceTable) throw invalid("the generated source table is read-only");
      const seen = new Set();
      for (const entry of list) {
        const item = entry.PutRequest?.Item;
        if (!item) throw invalid("only PutRequest is supported");
        for (const keyName of t.keyNames) if (!item[keyName]) throw invalid(`One of the required keys was not given a value: ${keyName}`);
        const key = t.keyText(item);
        if (seen.has(key)) throw invalid("Provided list of item keys contains duplicates");
        seen.add(key);
      }
      let units = 0;
      for (const entry of list) {
        const item = entry.PutRequest.Item;
        stats.putRequests++;
        if (faults.unprocessed && faultRng() < faults.unprocessed) {
          (unprocessed[name] ??= []).push(entry);
          stats.unprocessedReturned++;
          continue;
        }
        const key = t.keyText(item);
        t.items.set(key, item);
        t.sorted = null;
        t.puts.set(key, (t.puts.get(key) ?? 0) + 1);
        units += 1;
      }
      consumed.push({ TableName: name, CapacityUnits: units });
    }
    const answer = { UnprocessedItems: unprocessed };
    if (request.ReturnConsumedCapacity && request.ReturnConsumedCapacity !== "NONE") answer.ConsumedCapacity = consumed;
    return answer;
  },
};

function scanSource(t, request, segment, total, countOnly) {
  const start = request.ExclusiveStartKey ? t.indexOf(request.ExclusiveStartKey) : -1;
  if (request.ExclusiveStartKey && start < 0) throw invalid("The provided starting key is invalid");
  const page = t.page(segment, total, start, request.Limit, countOnly);
  if (page === null) throw invalid("The provided starting key is invalid: not in this segment");
  stats.scannedItems += page.count;
  const last = page.last >= 0 ? `,"LastEvaluatedKey":${JSON.stringify(t.keyOf(page.last))}` : "";
  const tail = Buffer.from(`"Count":${page.count},"ScannedCount":${page.count}${last}}`);
  if (countOnly) return Buffer.concat([Buffer.from("{"), tail]);
  const body = [Buffer.from('{"Items":[')];
  page.parts.forEach((part, i) => {
    if (i) body.push(Buffer.from(","));
    body.push(part);
  });
  body.push(Buffer.from("],"), tail);
  return Buffer.concat(body);
}

function scanWritten(t, request, segment, total, countOnly) {
  // Keys in sorted order (kept until the next write), segments by a hash of the key (used to count and verify).
  t.sorted ??= [...t.items.keys()].sort();
  const keys = total === 1 ? t.sorted : t.sorted.filter((key) => hashOf(key) % total === segment);
  const start = request.ExclusiveStartKey ? t.keyText(request.ExclusiveStartKey) : null;
  let index = start === null ? 0 : keys.findIndex((key) => key > start);
  if (index < 0) index = keys.length;
  const items = [];
  let bytes = 0;
  let count = 0;
  while (index < keys.length && (!request.Limit || count < request.Limit) && bytes < PAGE_BYTES) {
    if (countOnly) {
      bytes += 1100;
    } else {
      const text = JSON.stringify(t.items.get(keys[index]));
      bytes += text.length;
      items.push(text);
    }
    count++;
    index++;
  }
  stats.scannedItems += count;
  const answer = { Count: count, ScannedCount: count };
  if (index < keys.length) {
    const lastItem = t.items.get(keys[index - 1]);
    answer.LastEvaluatedKey = Object.fromEntries(t.keyNames.map((name) => [name, lastItem[name]]));
  }
  const head = JSON.stringify(answer);
  if (countOnly) return Buffer.from(head);
  return Buffer.from(`{"Items":[${items.join(",")}],${head.slice(1)}`);
}

function hashOf(text) {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return hash;
}

// -- control requests -----------------------------------------------------------------------------------

const control = {
  source(request) {
    const t = new SourceTable(request.table, request.items, request.seed ?? 1);
    tables.set(t.name, t);
    for (let i = 0; i < t.count; i++) t.render(i); // rendered now, not while a client is measured
    return { table: t.name, items: t.count, bytes: t.sizes.reduce((a, b) => a + b, 0) };
  },
  table(request) {
    const keys = request.keys ?? ["pk", "sk"];
    const t = new WrittenTable(request.table, keys.map((name, i) => ({ AttributeName: name, KeyType: i ? "RANGE" : "HASH" })),
      keys.map((name) => ({ AttributeName: name, AttributeType: "S" })), request.tags ?? []);
    tables.set(t.name, t);
    return { table: t.name };
  },
  drop(request) {
    return { dropped: tables.delete(request.table) };
  },
  faults(request) {
    faults = { unprocessed: request.unprocessed ?? 0, throttle: request.throttle ?? 0, error: request.error ?? 0 };
    faultRng = rngFor(request.seed ?? 7, 0);
    return faults;
  },
  stats() {
    const cpu = process.cpuUsage();
    return { ...stats, cpuMicros: cpu.user + cpu.system, memoryBytes: process.memoryUsage().rss };
  },
  report(request) {
    const written = table(request.table);
    const source = table(request.source);
    if (!(source instanceof SourceTable) || !(written instanceof WrittenTable)) throw invalid("report needs a written table and a source");
    const result = { expected: source.count, present: 0, lost: 0, changed: 0, duplicated: 0, extra: 0, puts: 0, examples: [] };
    const note = (kind, key) => { if (result.examples.length < 10) result.examples.push({ kind, key }); };
    const known = new Set();
    for (let index = 0; index < source.count; index++) {
      const expected = sourceItem(source.seed, index);
      const key = written.keyText(expected);
      known.add(key);
      const text = written.items.get(key);
      if (text === undefined) {
        result.lost++;
        note("lost", key);
        continue;
      }
      result.present++;
      const puts = written.puts.get(key);
      result.puts += puts;
      if (puts > 1) {
        result.duplicated++;
        note("duplicated", key);
      }
      if (digest(text) !== digest(expected)) {
        result.changed++;
        note("changed", key);
      }
    }
    for (const key of written.items.keys()) {
      if (!known.has(key)) {
        result.extra++;
        note("extra", key);
      }
    }
    result.exact = result.lost === 0 && result.changed === 0 && result.duplicated === 0 && result.extra === 0;
    return result;
  },
};

// -- SigV4 (checked with --secret) ------------------------------------------------------------------------

function checkSignature(request, body, secret) {
  const header = request.headers.authorization ?? "";
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header);
  if (!match) return "missing or malformed SigV4 Authorization header";
  const [, , date, region, service, signedHeaders, signature] = match;
  if (service !== "dynamodb") return `signed for service ${service}, not dynamodb`;
  const stamp = request.headers["x-amz-date"] ?? "";
  const payloadHash = createHash("sha256").update(body).digest("hex");
  const [path, query = ""] = request.url.split("?");
  const canonicalHeaders = signedHeaders.split(";").map((name) => `${name}:${String(request.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const canonical = ["POST", path, query, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", stamp, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  let key = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const expected = createHmac("sha256", key).update(toSign).digest("hex");
  return expected === signature ? null : "signature does not match";
}

// -- the server -----------------------------------------------------------------------------------------

function send(response, status, body, extra = {}) {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  response.writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "Content-Length": data.length,
    "x-amzn-RequestId": "fake", ...extra });
  response.end(data);
}

function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : fallback;
  };
  const port = Number(option("--port", "0"));
  const secret = option("--secret", null);  // null: signatures not checked
  const server = http.createServer({ keepAliveTimeout: 120000 }, (request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      try {
        if (request.url.startsWith("/_fake/")) {
          const name = request.url.slice("/_fake/".length);
          if (!control[name]) throw invalid(`unknown control request ${name}`);
          send(response, 200, control[name](body.length ? JSON.parse(body) : {}));
          return;
        }
        const target = String(request.headers["x-amz-target"] ?? "");
        const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
        stats.requests[operation] = (stats.requests[operation] ?? 0) + 1;
        if (secret !== null) {
          const problem = checkSignature(request, body, secret);
          if (problem) {
            stats.badSignatures++;
            throw new Refusal(400, "InvalidSignatureException", problem);
          }
        }
        const handler = operations[operation];
        if (!handler) throw new Refusal(400, "UnknownOperationException", `the fake does not implement ${operation || target}`);
        send(response, 200, handler(JSON.parse(body)));
      } catch (error) {
        if (error instanceof Refusal) {
          send(response, error.status, { __type: `com.amazonaws.dynamodb.v20120810#${error.code}`, message: error.message });
        } else {
          send(response, 500, { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: String(error?.stack ?? error) });
        }
      }
    });
  });
  server.listen(port, "127.0.0.1", () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
  const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref();
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
}

main();
