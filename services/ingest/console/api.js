// synchub console: the session (a token in sessionStorage, never in a URL) and the HTTP API.
"use strict";

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
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new ApiError(0, { title: "Network error", detail: "the gateway did not answer: " + error.message });
    }
    const type = response.headers.get("Content-Type") || "";
    let parsed = null;
    if (type.includes("json")) parsed = await response.json().catch(() => null);
    else parsed = await response.text();
    if (response.status >= 400) {
      if (response.status === 401 && bearer === token()) signOut();
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
    isOperator: () => role() === "operator",
    conflicts: (status) => call("GET", "/api/conflicts?status=" + id(status || "open")),
    conflict: (conflictId) => call("GET", "/api/conflicts/" + id(conflictId)),
    resolve: (conflictId, body) => call("POST", "/api/conflicts/" + id(conflictId) + "/resolve", body),
    deadLetters: (status) => call("GET", "/api/dead-letters?status=" + id(status || "dead")),
    replay: (letterId) => call("POST", "/api/dead-letters/" + id(letterId) + "/replay", {}),
    discard: (letterId) => call("POST", "/api/dead-letters/" + id(letterId) + "/discard", {}),
    sources: () => call("GET", "/api/sources"),
    setPriority: (name, priority) => call("PUT", "/api/sources/" + id(name), { priority }),
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
  // A JSON value as text: strings quoted, so "1" and 1 differ on screen.
  function json(value) { return value === undefined ? "—" : JSON.stringify(value); }
  function pretty(value) { return JSON.stringify(value, null, 2); }
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
  return { h, json, pretty, time, age, problem };
})();
