// Values from JSON Schemas (the 2020-12 dialect of OpenAPI 3.1) for the fuzz: valid ones, and mutations that
// a schema forbids. Small on purpose: types (and type lists with "null"), const, enum, allOf/oneOf/anyOf,
// minimum/maximum (also exclusive), minLength/maxLength, pattern (by trial), a few formats, arrays
// (minItems/maxItems), objects (required, additionalProperties: false). Every value made here is checked
// with ajv by the caller, so a case the generator gets wrong is detected rather than sent as what it is not.
import { deref } from "./contract.mjs";

/** mulberry32: a small seeded PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    word: (n = 8) => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(next() * 26)]).join(""),
  };
  return rng;
}

const TYPES = ["string", "integer", "number", "boolean", "array", "object", "null"];

/** The schema with $refs followed and allOf merged (shallowly: properties, required and the other keywords). */
export function resolve(doc, schema) {
  let s = deref(doc, schema);
  if (!s || typeof s !== "object") return s ?? {};
  if (Array.isArray(s.allOf)) {
    const merged = { ...s };
    delete merged.allOf;
    for (const part of s.allOf.map((p) => resolve(doc, p))) {
      for (const [k, v] of Object.entries(part)) {
        if (k === "properties") merged.properties = { ...(merged.properties ?? {}), ...v };
        else if (k === "required") merged.required = [...new Set([...(merged.required ?? []), ...v])];
        else if (!(k in merged)) merged[k] = v;
      }
    }
    s = merged;
  }
  return s;
}

/** The types a schema allows (its `type`, or what its keywords imply). */
export function typesOf(s) {
  if (Array.isArray(s.type)) return s.type;
  if (typeof s.type === "string") return [s.type];
  if (s.const !== undefined) return [jsonType(s.const)];
  if (Array.isArray(s.enum)) return [...new Set(s.enum.map(jsonType))];
  if (s.properties || s.required || s.additionalProperties !== undefined) return ["object"];
  if (s.items) return ["array"];
  if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern || s.format) return ["string"];
  if (s.minimum !== undefined || s.maximum !== undefined) return ["number"];
  return [];
}

export function jsonType(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function stringOfLength(rng, n) {
  let out = "";
  while (out.length < n) out += rng.word(Math.min(8, n - out.length));
  return out.slice(0, n);
}

function genString(rng, s, hints) {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Math.max(min, 24);
  const fit = (v) => v.length >= min && v.length <= max;
  const candidates = [];
  switch (s.format) {
    case "email":
      candidates.push(`fz-${rng.word(6)}@example.test`);
      break;
    case "date-time":
      candidates.push(new Date(Date.UTC(2026, 0, 1) + rng.int(0, 1e9) * 1000).toISOString());
      break;
    case "date":
      candidates.push("2026-01-0" + rng.int(1, 9));
      break;
    case "uri":
    case "url":
      candidates.push(`https://example.test/${rng.word(5)}`);
      break;
    case "uuid":
      candidates.push("3f2b8a2e-1c4d-4e5f-8a9b-" + rng.int(100000000000, 999999999999));
      break;
    case "hostname":
      candidates.push(`${rng.word(6)}.example.test`);
      break;
    default:
      break;
  }
  if (hints?.name && /slug|schema/.test(hints.name)) candidates.push(`fz_${rng.word(8)}`);
  if (hints?.name && /email/.test(hints.name)) candidates.push(`fz-${rng.word(6)}@example.test`);
  if (hints?.name && /domain/.test(hints.name)) candidates.push(`${rng.word(6)}.example.test`);
  if (hints?.name && /password/.test(hints.name)) candidates.push(`pw-${rng.word(12)}`);
  for (const ex of [...(Array.isArray(s.examples) ? s.examples : []), s.example, s.default])
    if (typeof ex === "string" && rng.chance(0.15)) candidates.push(ex);
  const length = rng.int(min, Math.min(max, Math.max(min, 12)));
  candidates.push(stringOfLength(rng, length));
  if (s.pattern) {
    const re = safeRegExp(s.pattern);
    const alphabets = ["abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789_", "0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"];
    const tries = [...candidates];
    for (let k = 0; k < 10; k++) {
      const made = fromPattern(rng, s.pattern);
      if (made !== undefined) tries.push(made);
    }
    for (let i = 0; i < 60; i++) {
      const alphabet = rng.pick(alphabets);
      const n = rng.int(Math.max(1, min), Math.min(max, Math.max(min, 16)));
      tries.push(Array.from({ length: n }, () => alphabet[rng.int(0, alphabet.length - 1)]).join(""));
      tries.push("a" + tries[tries.length - 1].slice(1));
    }
    const found = tries.find((t) => fit(t) && (!re || re.test(t)));
    return found ?? candidates[0];
  }
  return candidates.find(fit) ?? stringOfLength(rng, Math.min(max, Math.max(min, 8)));
}

/**
 * A string matching `pattern`, for the regular expressions that schemas use: literals and escapes, classes
 * ([a-z0-9_], negated ones, \d \w \s, \uXXXX), groups with alternatives, and the quantifiers ? * + {n,m}
 * (at most two repetitions past the minimum). Returns undefined for anything else (lookarounds,
 * back-references); the caller then tries other candidates.
 */
export function fromPattern(rng, pattern) {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
  let i = 0;
  const fail = () => {
    throw new Error("unsupported");
  };
  const escapeSet = (c) => {
    if (c === "d") return [..."0123456789"];
    if (c === "w") return [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"];
    if (c === "s") return [" "];
    return undefined;
  };
  const readEscape = () => {
    const c = pattern[i++];
    if (c === "u") {
      const hex = pattern.slice(i, i + 4);
      i += 4;
      return { char: String.fromCharCode(parseInt(hex, 16)) };
    }
    if (c === "x") {
      const hex = pattern.slice(i, i + 2);
      i += 2;
      return { char: String.fromCharCode(parseInt(hex, 16)) };
    }
    const set = escapeSet(c);
    if (set) return { set };
    if (/[DWSbB1-9]/.test(c)) fail();
    return { char: { n: "\n", t: "\t", r: "\r" }[c] ?? c };
  };
  const readClass = () => {
    let negated = false;
    if (pattern[i] === "^") {
      negated = true;
      i++;
    }
    const members = new Set();
    let first = true;
    while (i < pattern.length && (pattern[i] !== "]" || first)) {
      first = false;
      let lo;
      if (pattern[i] === "\\") {
        i++;
        const e = readEscape();
        if (e.set) {
          e.set.forEach((x) => members.add(x));
          continue;
        }
        lo = e.char;
      } else lo = pattern[i++];
      if (pattern[i] === "-" && pattern[i + 1] !== "]" && i + 1 < pattern.length) {
        i++;
        let hi;
        if (pattern[i] === "\\") {
          i++;
          hi = readEscape().char ?? fail();
        } else hi = pattern[i++];
        for (let c = lo.charCodeAt(0); c <= hi.charCodeAt(0); c++) members.add(String.fromCharCode(c));
      } else members.add(lo);
    }
    i++; // ]
    const set = negated ? printable.filter((c) => !members.has(c)) : [...members];
    return set.length ? set : fail();
  };
  // An alternation: a list of sequences; each item {gen} repeated by its quantifier.
  const parseAlternation = () => {
    const branches = [[]];
    while (i < pattern.length && pattern[i] !== ")") {
      const c = pattern[i];
      if (c === "|") {
        i++;
        branches.push([]);
        continue;
      }
      let atom;
      if (c === "^" || c === "$") {
        i++;
        continue;
      } else if (c === "(") {
        i++;
        if (pattern[i] === "?") {
          if (pattern[i + 1] !== ":") fail();
          i += 2;
        }
        const inner = parseAlternation();
        if (pattern[i++] !== ")") fail();
        atom = inner;
      } else if (c === "[") {
        i++;
        const set = readClass();
        atom = () => rng.pick(set);
      } else if (c === "\\") {
        i++;
        const e = readEscape();
        atom = e.set ? () => rng.pick(e.set) : () => e.char;
      } else if (c === ".") {
        i++;
        atom = () => rng.pick(printable.slice(1));
      } else if ("*+?{".includes(c)) {
        fail();
      } else {
        i++;
        atom = () => c;
      }
      let min = 1;
      let max = 1;
      const q = pattern[i];
      if (q === "?") [min, max] = [0, 1];
      else if (q === "*") [min, max] = [0, 2];
      else if (q === "+") [min, max] = [1, 3];
      else if (q === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!m) fail();
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === "" ? min + 2 : Math.min(Number(m[3]), min + 2);
        i += m[0].length - 1;
      }
      if ("?*+{".includes(q ?? "x")) i++;
      if (pattern[i] === "?") i++; // lazy
      branches[branches.length - 1].push({ atom, min, max });
    }
    return () =>
      rng
        .pick(branches)
        .map(({ atom, min, max }) => Array.from({ length: rng.int(min, max) }, () => atom()).join(""))
        .join("");
  };
  try {
    const gen = parseAlternation();
    if (i < pattern.length) return undefined;
    return gen();
  } catch {
    return undefined;
  }
}

function safeRegExp(pattern) {
  try {
    return new RegExp(pattern, "u");
  } catch {
    return undefined;
  }
}

/** Inclusive integer bounds of a numeric schema, within a sensible default range. */
function intBounds(s, fallback = [0, 1000]) {
  let lo = s.minimum ?? (typeof s.exclusiveMinimum === "number" ? Math.floor(s.exclusiveMinimum) + 1 : undefined);
  let hi = s.maximum ?? (typeof s.exclusiveMaximum === "number" ? Math.ceil(s.exclusiveMaximum) - 1 : undefined);
  if (s.exclusiveMinimum !== undefined && typeof s.exclusiveMinimum === "number" && s.minimum !== undefined)
    lo = Math.max(lo, Math.floor(s.exclusiveMinimum) + 1);
  if (lo === undefined && hi === undefined) return fallback;
  if (lo === undefined) lo = Math.min(hi, fallback[0]);
  if (hi === undefined) hi = Math.max(lo, lo + fallback[1] - fallback[0]);
  return [Math.ceil(lo), Math.floor(hi)];
}

/**
 * A value valid for `schema`. `hints.name` is the property or parameter name (slug, email, ... get fitting
 * strings); `hints.skipReadOnly` leaves readOnly properties out of objects (request bodies).
 */
export function genValid(doc, rng, schema, hints = {}, depth = 0) {
  const s = resolve(doc, schema);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return rng.pick(s.enum);
  for (const key of ["oneOf", "anyOf"])
    if (Array.isArray(s[key]) && s[key].length) {
      const { [key]: branches, ...rest } = s;
      const branch = resolve(doc, rng.pick(branches));
      return genValid(doc, rng, { ...rest, ...branch }, hints, depth + 1);
    }
  let types = typesOf(s);
  if (types.length === 0) types = ["string"];
  const nonNull = types.filter((t) => t !== "null");
  const type = nonNull.length === 0 || (types.includes("null") && rng.chance(0.15)) ? "null" : rng.pick(nonNull);
  switch (type) {
    case "null":
      return null;
    case "boolean":
      return rng.chance(0.5);
    case "integer": {
      const [lo, hi] = intBounds(s, hints.intRange ?? [0, 1000]);
      return rng.int(lo, Math.max(lo, hi));
    }
    case "number": {
      const [lo, hi] = intBounds(s);
      return rng.int(lo, Math.max(lo, hi));
    }
    case "string":
      return genString(rng, s, hints);
    case "array": {
      const min = s.minItems ?? 0;
      const max = Math.min(s.maxItems ?? min + 2, min + 2);
      const n = depth > 3 ? min : rng.int(min, max);
      const items = [];
      for (let i = 0; i < n; i++) items.push(genValid(doc, rng, s.items ?? {}, { ...hints, name: hints.name }, depth + 1));
      if (s.uniqueItems) return [...new Map(items.map((v) => [JSON.stringify(v), v])).values()];
      return items;
    }
    case "object":
    default: {
      const out = {};
      const required = new Set(s.required ?? []);
      for (const [name, raw] of Object.entries(s.properties ?? {})) {
        const prop = resolve(doc, raw);
        if (hints.skipReadOnly && prop.readOnly && !required.has(name)) continue;
        if (!required.has(name) && (depth > 3 || !rng.chance(0.6))) continue;
        out[name] = genValid(doc, rng, prop, { ...hints, name }, depth + 1);
      }
      return out;
    }
  }
}

/** A value of a JSON type other than every type in `allowed`. */
export function wrongTypeValue(rng, allowed) {
  const options = [
    ["string", "not-a-number"],
    ["integer", 12345],
    ["boolean", true],
    ["array", ["x"]],
    ["object", { x: 1 }],
  ].filter(([t]) => !allowed.includes(t) && !(t === "integer" && allowed.includes("number")));
  if (allowed.includes("string") && allowed.length === 1) return rng.pick([12345, true, ["x"], { x: 1 }]);
  return rng.pick(options)[1];
}

/**
 * Mutations of one value of `schema` that the schema forbids, each {kind, value}: wrong type, below or above
 * a bound, too short or too long, not one of the enum. (Not null when null is allowed, and so on.)
 */
export function invalidValues(doc, rng, schema) {
  const s = resolve(doc, schema);
  const out = [];
  const types = typesOf(s);
  if (types.length) out.push({ kind: "wrong type", value: wrongTypeValue(rng, types) });
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === "string")) out.push({ kind: "not in enum", value: "not-a-choice-zz" });
  if (s.const !== undefined && typeof s.const === "string") out.push({ kind: "not the const", value: `${s.const}-zz` });
  if (types.includes("integer") || types.includes("number")) {
    if (typeof s.minimum === "number") out.push({ kind: "below minimum", value: s.minimum - 1 });
    if (typeof s.exclusiveMinimum === "number") out.push({ kind: "at exclusiveMinimum", value: s.exclusiveMinimum });
    if (typeof s.maximum === "number") out.push({ kind: "above maximum", value: s.maximum + 1 });
    if (typeof s.exclusiveMaximum === "number") out.push({ kind: "at exclusiveMaximum", value: s.exclusiveMaximum });
    if (types.includes("integer") && !types.includes("number")) out.push({ kind: "not an integer", value: 1.5 });
  }
  if (types.includes("string")) {
    if (typeof s.minLength === "number" && s.minLength > 0) out.push({ kind: "shorter than minLength", value: stringOfLength(rng, s.minLength - 1) });
    if (typeof s.maxLength === "number" && s.maxLength < 100_000) out.push({ kind: "longer than maxLength", value: stringOfLength(rng, s.maxLength + 1) });
    if (s.format === "email") out.push({ kind: "not an e-mail", value: "not-an-email" });
    if (s.pattern) out.push({ kind: "not the pattern", value: "!! ??" });
  }
  if (types.includes("array") && typeof s.minItems === "number" && s.minItems > 0) out.push({ kind: "fewer than minItems", value: [] });
  return out;
}
