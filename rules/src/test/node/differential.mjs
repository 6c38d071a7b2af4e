// Runs PowerSync's published compiler (@powersync/service-sync-rules) over Syncline's streams
// corpus: for each case, whether the rules are accepted, which buckets every row lands in, and
// which buckets every request gets. Input: corpus YAML paths as arguments. Output: one JSON
// object on stdout, compared by StreamsDifferentialIT with what Syncline computes.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { JSONBig } from '@powersync/service-jsonbig';
import {
  SqlSyncRules,
  DEFAULT_HYDRATION_STATE,
  RequestParameters,
  BaseJwtPayload,
  CompatibilityOption,
  versionedHydrationState
} from '@powersync/service-sync-rules';

if (!Object.groupBy) {
  // Node 20 lacks Object.groupBy, which the edition-3 compiler uses.
  Object.groupBy = (items, key) => {
    const out = Object.create(null);
    for (const item of items) (out[key(item)] ??= []).push(item);
    return out;
  };
}

function value(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function table(name) {
  return { connectionTag: 'default', schema: 'public', name };
}

async function runCase(file) {
  const text = readFileSync(file, 'utf8');
  // Streams corpus files wrap the rules in a case; bucket-definition corpus files are the rules themselves.
  let c;
  try {
    c = parse(text);
  } catch (e) {
    c = null;
  }
  if (c == null || typeof c !== 'object' || typeof c.rules !== 'string') c = { rules: text };
  const result = { accepted: false, errors: [], rows: {}, requests: {} };
  const { config, errors } = SqlSyncRules.fromYaml(c.rules, { defaultSchema: 'public', throwOnError: false });
  result.errors = errors.filter((e) => e.type !== 'warning').map((e) => e.message);
  result.accepted = result.errors.length === 0;
  result.warnings = errors.filter((e) => e.type === "warning").map((e) => e.message);
  if (!result.accepted) return result;
  // As the service deploys rules: with versioned bucket ids (edition 2 and up) under version 1.
  const versioned = config.compatibility.isEnabled(CompatibilityOption.versionedBucketIds);
  const hydrationState = versioned ? versionedHydrationState(1) : DEFAULT_HYDRATION_STATE;
  const hydrated = config.hydrate({ hydrationState, sqlite: null });
  const index = new Map();
  for (const [name, rows] of Object.entries(c.rows ?? {})) {
    for (const r of rows) {
      const record = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, value(v)]));
      const placed = hydrated.evaluateRowWithErrors({ sourceTable: table(name), record });
      result.rows[`${name} ${r.id}`] = placed.results.map((p) => p.bucket).sort();
      // What a client receives for the row: bucket, table and data as the PUT op would carry it.
      result.data ??= {};
      result.data[`${name} ${r.id}`] = placed.results
        .map((p) => `${p.bucket} ${p.table} ${p.id} ${JSONBig.stringify(p.data)}`)
        .sort();
      const params = hydrated.evaluateParameterRowWithErrors(table(name), record);
      for (const p of params.results) {
        const key = p.lookup.serializedRepresentation;
        if (!index.has(key)) index.set(key, []);
        index.get(key).push(...p.bucketParameters);
      }
    }
  }
  const source = {
    async getParameterSets(lookups) {
      return lookups.map((lookup) => ({ lookup, rows: index.get(lookup.serializedRepresentation) ?? [] }));
    }
  };
  for (const req of c.requests ?? []) {
    const streams = {};
    (req.subscriptions ?? []).forEach((s, i) => {
      (streams[s.stream] ??= []).push({
        opaque_id: i,
        parameters: s.parameters == null ? null : typeof s.parameters === 'string' ? JSON.parse(s.parameters) : s.parameters,
        priorityOverride: s.override_priority ?? null
      });
    });
    try {
      const { querier, errors } = hydrated.getBucketParameterQuerier({
        globalParameters: new RequestParameters(new BaseJwtPayload(req.token ?? {}), req.connection ?? {}),
        hasDefaultStreams: req.include_defaults ?? true,
        streams
      });
      const buckets = [...querier.staticBuckets, ...(await querier.queryDynamicBucketDescriptions(source))];
      result.requests[req.name] = {
        buckets: [...new Set(buckets.map((b) => b.bucket))].sort(),
        errors: errors.map((e) => e.message)
      };
    } catch (e) {
      result.requests[req.name] = { buckets: [], errors: [String(e)] };
    }
  }
  return result;
}

const out = {};
for (const file of process.argv.slice(2)) {
  try {
    out[basename(file, '.yaml')] = await runCase(file);
  } catch (e) {
    out[basename(file, '.yaml')] = { crashed: String(e.stack ?? e) };
  }
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
