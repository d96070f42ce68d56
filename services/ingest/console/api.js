// synchub console: the session (a token in sessionStorage, never in a URL) and the HTTP API.
"use strict";

// The hub keeps every value exactly as sent (SPEC section 1), so the console never lets a value
// pass through a JS number: JsonText.parse reads the API's answer and keeps, beside the usual JS
// value, each member's exact JSON text (a number's literal as sent: 9007199254740993, 1e400,
// 12.50). Values are shown with JsonText.raw and sent by concatenating those texts verbatim.
const JsonText = (() => {
  const kRaw = Symbol("raw");  // on each parsed object and array: member name/index -> exact JSON text
  const kNumber = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

  // Parses `text` (all of it: one JSON value, blanks around allowed). Returns the value; throws
  // SyntaxError naming the position when `text` is not JSON.
  function parse(text) {
    let i = 0;
    const fail = (what) => { throw new SyntaxError(what + " at character " + (i + 1)); };
    const blanks = () => { while (i < text.length && " \t\n\r".includes(text[i])) i += 1; };
    function string() {
      const start = i;
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      if (i >= text.length) fail("unterminated string");
      i += 1;
      try { return JSON.parse(text.slice(start, i)); } catch (e) { i = start; return fail("invalid string"); }
    }
    function literal(word, value) {
      if (text.startsWith(word, i)) { i += word.length; return value; }
      return fail("unexpected " + JSON.stringify(text.slice(i, i + 8) || "end"));
    }
    // Returns [value, exact text].
    function value(depth) {
      if (depth > 64) fail("nested too deep");
      blanks();
      const start = i;
      let v;
      const c = text[i];
      if (c === "{" || c === "[") {
        const object = c === "{";
        v = object ? {} : [];
        const raw = Object.create(null);
        i += 1;
        blanks();
        if (text[i] === (object ? "}" : "]")) i += 1;
        else {
          for (;;) {
            blanks();
            let key = v.length;
            if (object) {
              if (text[i] !== '"') fail("expected a member name");
              key = string();
              blanks();
              if (text[i] !== ":") fail("expected ':'");
              i += 1;
            }
            const [member, memberText] = value(depth + 1);
            Object.defineProperty(v, key, { value: member, enumerable: true, writable: true, configurable: true });
            raw[key] = memberText;
            blanks();
            if (text[i] === ",") { i += 1; continue; }
            if (text[i] === (object ? "}" : "]")) { i += 1; break; }
            fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
          }
        }
        Object.defineProperty(v, kRaw, { value: raw });
      } else if (c === '"') v = string();
      else if (c === "t") v = literal("true", true);
      else if (c === "f") v = literal("false", false);
      else if (c === "n") v = literal("null", null);
      else {
        kNumber.lastIndex = i;
        const m = kNumber.exec(text);
        if (!m) fail(c === undefined ? "unexpected end" : "unexpected " + JSON.stringify(c));
        i += m[0].length;
        v = Number(m[0]);  // for counts and versions only; the exact text is in the parent's raw
      }
      return [v, text.slice(start, i)];
    }
    const [v, exact] = value(0);
    blanks();
    if (i < text.length) fail("unexpected " + JSON.stringify(text[i]) + " after the value");
    return v;
  }
  // Checks one JSON value typed by a person. Returns its exact text (blanks around trimmed), or
  // throws SyntaxError.
  function check(text) {
    // A lone surrogate typed as such cannot be sent as typed (UTF-8 has no bytes for it).
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
      throw new SyntaxError("a lone surrogate cannot be sent as typed: write it as \\uXXXX");
    }
    parse(text);
    return text.trim();
  }
  // The exact JSON text of parent[key] as the API sent it; undefined when absent. For a value not
  // read by parse (built in the page), its JSON.stringify.
  function raw(parent, key) {
    if (parent === null || typeof parent !== "object" || !Object.prototype.hasOwnProperty.call(parent, key)) return undefined;
    const texts = parent[kRaw];
    if (texts && key in texts) return texts[key];
    return JSON.stringify(parent[key]);
  }
  // The JSON text of a whole parsed object or array, exact (its members' texts, compact).
  function text(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    const keys = Array.isArray(value) ? value.map((_, n) => n) : Object.keys(value);
    const parts = keys.map((k) => (Array.isArray(value) ? "" : JSON.stringify(k) + ":") + raw(value, k));
    return Array.isArray(value) ? "[" + parts.join(",") + "]" : "{" + parts.join(",") + "}";
  }
  // Exact JSON text indented two spaces a level (number literals untouched).
  function pretty(exact) {
    let out = "";
    let depth = 0;
    let inString = false;
    const newline = () => "\n" + "  ".repeat(depth);
    for (let n = 0; n < exact.length; n += 1) {
      const c = exact[n];
      if (inString) {
        out += c;
        if (c === "\\") { out += exact[n + 1]; n += 1; } else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') { inString = true; out += c; }
      else if (c === "{" || c === "[") {
        const close = c === "{" ? "}" : "]";
        let next = n + 1;
        while (" \t\n\r".includes(exact[next])) next += 1;
        if (exact[next] === close) { out += c + close; n = next; continue; }
        depth += 1; out += c + newline();
      } else if (c === "}" || c === "]") { depth -= 1; out += newline() + c; }
      else if (c === ",") out += "," + newline();
      else if (c === ":") out += ": ";
      else if (!" \t\n\r".includes(c)) out += c;
    }
    return out;
  }
  // An object's JSON text from {name: exact JSON text}, each text sent verbatim.
  function objectOf(texts) {
    return "{" + Object.keys(texts).map((k) => JSON.stringify(k) + ":" + texts[k]).join(",") + "}";
  }
  // Whether two exact JSON texts are the same value. Numbers compare by their decimal value (1
  // equals 1.0, SPEC section 1), strings by characters, objects whatever their key order.
  function same(a, b) {
    if (a === b) return true;
    if (a === undefined || b === undefined) return false;
    try { return canonical(a) === canonical(b); } catch (e) { return false; }
  }
  function canonicalNumber(literal) {
    const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(literal);
    let digits = m[2] + (m[3] || "");
    let exponent = BigInt(m[4] || "0") - BigInt((m[3] || "").length);
    digits = digits.replace(/^0+/, "");
    if (digits === "") return "0";
    while (digits.endsWith("0")) { digits = digits.slice(0, -1); exponent += 1n; }
    return m[1] + digits + "e" + exponent;
  }
  function canonical(exact) {
    const v = parse(exact);
    if (v === null || typeof v !== "object") return typeof v === "number" ? canonicalNumber(exact.trim()) : JSON.stringify(v);
    const keys = Array.isArray(v) ? v.map((_, n) => n) : Object.keys(v).sort();
    const parts = keys.map((k) => (Array.isArray(v) ? "" : JSON.stringify(k) + ":") + canonical(raw(v, k)));
    return Array.isArray(v) ? "[" + parts.join(",") + "]" : "{" + parts.join(",") + "}";
  }
  return { parse, check, raw, text, pretty, objectOf, same };
})();

const Api = (() => {
  const kTokenKey = "synchub.token";
  const kRoleKey = "synchub.role";

  // A refused or failed call: the problem document (RFC 9457) the API answered, or a network error.
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem || {};
    }
  }

  let onSignedOut = null;  // set by the app: a revoked token clears the page (App.render)
  function token() { return sessionStorage.getItem(kTokenKey); }
  function role() { return sessionStorage.getItem(kRoleKey); }
  function signOut() {
    sessionStorage.removeItem(kTokenKey);
    sessionStorage.removeItem(kRoleKey);
  }

  // Calls the API with the session's token. Resolves to {status, body, headers}; rejects with
  // ApiError for any status >= 400 (and for a network failure, status 0).
  async function call(method, path, body, extraHeaders, useToken) {
    const headers = Object.assign({ Accept: "application/json" }, extraHeaders || {});
    const bearer = useToken !== undefined ? useToken : token();
    if (bearer) headers.Authorization = "Bearer " + bearer;
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      // A string is JSON text built from exact texts (JsonText.objectOf): sent verbatim.
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new ApiError(0, { title: "Network error", detail: "the gateway did not answer: " + error.message });
    }
    const type = response.headers.get("Content-Type") || "";
    let parsed = null;
    const answered = await response.text().catch(() => "");
    parsed = answered;
    let unreadable = null;
    if (type.includes("json")) { try { parsed = JsonText.parse(answered); } catch (e) { parsed = null; unreadable = e; } }
    if (unreadable && response.status < 400) {
      // A success the page cannot read exactly is an error, never an empty answer.
      throw new ApiError(response.status, { title: "Unreadable answer", detail: "the answer is not JSON the console can read: " + unreadable.message });
    }
    if (response.status >= 400) {
      if (response.status === 401 && bearer === token()) { signOut(); if (onSignedOut) onSignedOut(); }
      throw new ApiError(response.status, typeof parsed === "object" ? parsed : { detail: String(parsed) });
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  // Checks `candidate` and finds its role: reader or operator. The API decides: a token that may
  // not read operations (GET /api/sources) is refused here; one that may also list credentials
  // (an operator's right) is an operator; every other one is treated as a reader.
  async function signIn(candidate) {
    await call("GET", "/api/sources", undefined, undefined, candidate);
    let found = "reader";
    try {
      await call("GET", "/api/credentials", undefined, undefined, candidate);
      found = "operator";
    } catch (error) {
      if (error.status !== 403) throw error;
    }
    sessionStorage.setItem(kTokenKey, candidate);
    sessionStorage.setItem(kRoleKey, found);
    return found;
  }

  const id = encodeURIComponent;
  return {
    ApiError, token, role, signIn, signOut, call,
    whenSignedOut: (callback) => { onSignedOut = callback; },
    isOperator: () => role() === "operator",
    conflicts: (status) => call("GET", "/api/conflicts?status=" + id(status || "open")),
    conflict: (conflictId) => call("GET", "/api/conflicts/" + id(conflictId)),
    // `body`: an object, or JSON text built from exact texts (sent verbatim).
    resolve: (conflictId, body) => call("POST", "/api/conflicts/" + id(conflictId) + "/resolve", body),
    deadLetters: (status) => call("GET", "/api/dead-letters?status=" + id(status || "dead")),
    replay: (letterId) => call("POST", "/api/dead-letters/" + id(letterId) + "/replay", {}),
    discard: (letterId) => call("POST", "/api/dead-letters/" + id(letterId) + "/discard", {}),
    sources: () => call("GET", "/api/sources"),
    // `digits`: the integer as typed (checked by the page), sent as that exact text.
    setPriority: (name, digits) => call("PUT", "/api/sources/" + id(name), '{"priority":' + digits + "}"),
    reload: (name) => call("POST", "/api/sources/" + id(name) + "/reload", {}),
    record: (entity, key) => call("GET", "/api/records/" + id(entity) + "/" + id(key)),
    history: (entity, key) => call("GET", "/api/records/" + id(entity) + "/" + id(key) + "/history"),
    stats: () => call("GET", "/api/stats"),
    metrics: () => call("GET", "/metrics", undefined, { Accept: "text/plain" }),
  };
})();

// Small DOM helpers shared by the pages: never innerHTML with data (text nodes only).
const Dom = (() => {
  // h("td", {class: "num", "data-label": "Id"}, child, ...): an element; strings become text.
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
      else if (name === "text") element.textContent = value;
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }
  // A JSON value as text: strings quoted, so "1" and 1 differ on screen. For values the API sent
  // use raw(parent, key): json() of a parsed number would show it rounded.
  function json(value) { return value === undefined ? "—" : JSON.stringify(value); }
  // parent[key] exactly as the API sent it, or "—" when absent.
  function raw(parent, key) { const t = JsonText.raw(parent, key); return t === undefined ? "—" : t; }
  // A parsed object or array, indented, every value exactly as sent.
  function pretty(value) { return JsonText.pretty(JsonText.text(value)); }
  // "2026-11-30T23:00:00.000Z" -> "2026-11-30 23:00:00 UTC".
  function time(text) { return text ? text.replace("T", " ").replace(/\.\d+Z$/, " UTC") : "—"; }
  function age(seconds) {
    if (!seconds) return "—";
    if (seconds < 1) return "under 1 s";
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    if (seconds < 172800) return Math.round(seconds / 3600) + " h";
    return Math.round(seconds / 86400) + " d";
  }
  // A problem as a block that says what happened and what to do.
  function problem(error, explain) {
    const p = error.problem || {};
    return h("div", { class: "problem", role: "alert" },
      h("strong", {}, explain || (p.title || "Refused") + " (HTTP " + error.status + ")"),
      p.detail ? h("span", {}, p.detail) : null,
      h("div", { class: "mono" }, "HTTP " + error.status + (p.code ? " · code " + p.code : "") + (p.key ? " · key " + p.key : "")));
  }
  return { h, json, raw, pretty, time, age, problem };
})();
