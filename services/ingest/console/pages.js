// synchub console: one function per page. Each renders into `root` and returns an optional
// cleanup (stops timers) that the router calls when the page is left.
"use strict";

const Pages = (() => {
  const { h, raw, pretty, time, age, problem } = Dom;

  function heading(text, extra) {
    return h("div", { class: "row" }, h("h2", { tabindex: "-1", class: "page-title" }, text), extra || null);
  }
  function readOnlyNote() {
    return Api.isOperator() ? null
      : h("p", { class: "muted", id: "read-only" }, "Signed in as a reader: you see everything and change nothing.");
  }
  // Replaces root's children with `children`, skipping the absent (null: a note not shown).
  function put(root, ...children) { root.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined)); }
  function loading(root) { put(root, h("p", { class: "muted" }, "Loading…")); }
  function cell(label, ...content) { return h("td", { "data-label": label }, ...content); }
  function recordLink(entity, key) {
    return h("a", { href: "#/records/" + encodeURIComponent(entity) + "/" + encodeURIComponent(key) }, entity + "/" + key);
  }
  // What a refusal of a write means, in words.
  function explain(error, what) {
    if (error.status === 403) return "Not allowed: this token may read but not " + what + " (HTTP 403).";
    if (error.status === 401) return "Signed out: the token is unknown or revoked (HTTP 401).";
    return null;
  }

  // ---- Conflicts ----------------------------------------------------------------------------
  async function conflicts(root) {
    loading(root);
    const { body } = await Api.conflicts("open");
    const list = body.conflicts;
    const rows = list.map((c) => h("tr", { "data-conflict-id": c.id, "data-external-id": c.externalId },
      cell("Id", String(c.id)),
      cell("Record", recordLink(c.entity, c.externalId)),
      cell("Fields", (Array.isArray(c.conflictingFields) ? c.conflictingFields : []).map((f) => f.field).join(", ")),
      cell("Logged", time(c.createdAt)),
      cell("", h("a", { class: "button", href: "#/conflicts/" + c.id, "aria-label": "Open conflict " + c.id + " on " + c.externalId }, "Open"))));
    put(root, 
      heading("Open conflicts", h("span", { class: "badge", id: "conflict-count" }, String(list.length))),
      readOnlyNote(),
      list.length === 0 ? h("p", { class: "card empty", id: "no-conflicts" }, "No open conflicts.")
        : h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "conflicts" },
          h("thead", {}, h("tr", {}, ["Id", "Record", "Conflicting fields", "Logged", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows))));
  }

  // `carried`: elements shown in the result area once the page is rendered (the refusal that made
  // the page reload the conflict).
  async function conflict(root, conflictId, carried) {
    if (!carried) loading(root);
    const { body: c } = await Api.conflict(conflictId);
    const event = c.event || {};
    const canonical = c.canonical || {};
    // The record as it is now: a value that changed since the conflict was logged is shown (the
    // API refuses to overwrite it; keeping the canonical side stays possible).
    let now = null;
    if (c.status === "open") {
      try { now = (await Api.record(c.entity, c.externalId)).body; } catch (error) { if (error.status !== 404) throw error; }
    }
    const movedFields = [];
    const fields = Array.isArray(c.conflictingFields) ? c.conflictingFields : [];
    const operator = Api.isOperator() && c.status === "open";
    const result = h("div", { id: "resolve-result", "aria-live": "polite" });
    const choices = Object.create(null);  // no inherited names: any field name is its own key
    // A delete conflict: one side deletes the record (the reserved field _deleted, SPEC section 3).
    // The API takes a whole side for it (incoming or canonical); "merged" cannot express a
    // deletion (its fields may not name _deleted), so no field-by-field editor is offered.
    const isDelete = fields.some((f) => f.field === "_deleted");
    const shown = (f, side) => f.field === "_deleted" ? (f[side] === true ? "deleted" : "not deleted (record present)") : raw(f, side);

    const nowText = (f) => f.field === "_deleted" ? (now.deleted ? "deleted" : "not deleted (record present)") : raw(now.fields || {}, f.field);
    const nowDiffers = (f) => now !== null && (f.field === "_deleted" ? !!now.deleted !== (f.canonical === true)
      : !JsonText.same(JsonText.raw(now.fields || {}, f.field), JsonText.raw(f, "canonical")));
    const grid = h("div", { class: "field-grid", id: "conflict-fields" },
      h("div", { class: "head" }, "Field"),
      h("div", { class: "head incoming" }, "Incoming: " + event.source + " v" + event.version),
      h("div", { class: "head canonical" }, "Canonical: v" + canonical.version),
      h("div", { class: "head" }, operator ? "Your choice" : "Provenance"));
    for (const f of fields) {
      const fieldVersion = canonical.fieldVersions ? canonical.fieldVersions[f.field] : undefined;
      const setBy = f.canonicalSource || (canonical.provenance || {})[f.field] || "?";
      grid.append(
        h("div", { class: "name mono" }, f.field),
        h("div", { class: "incoming value", "data-side": "incoming", "data-field": f.field },
          h("div", { class: "side-label" }, "incoming"), h("div", { class: "mono exact" }, shown(f, "incoming")), h("div", { class: "muted" }, "set by " + event.source + " (v" + event.version + ")")),
        h("div", { class: "canonical value", "data-side": "canonical", "data-field": f.field },
          h("div", { class: "side-label" }, "canonical"), h("div", { class: "mono exact" }, shown(f, "canonical")),
          h("div", { class: "muted" }, "set by " + setBy + (fieldVersion ? " (v" + fieldVersion + ")" : "")),
          nowDiffers(f) ? h("div", { class: "moved" }, "now " + nowText(f) + ", set by " +
            ((now.provenance || {})[f.field] || now.lastSource || "?") + " (v" + ((now.fieldVersions || {})[f.field] || now.version) + ")") : null));
      if (nowDiffers(f)) movedFields.push(f.field);
      if (!operator) {
        grid.append(h("div", { class: "muted" }, "incoming from " + event.source + ", canonical from " + setBy));
        continue;
      }
      if (isDelete) {
        grid.append(h("div", { class: "muted" }, "a deletion is resolved as a whole side: take incoming or keep canonical"));
        continue;
      }
      const name = "choice-" + f.field;
      const editor = h("textarea", { id: "edit-" + f.field, "aria-label": "Edited value of " + f.field + " (JSON)", rows: "2", disabled: true }, raw(f, "incoming"));
      const pick = (side) => {
        choices[f.field] = side;
        editor.disabled = side !== "edit";
        if (side === "edit") editor.focus();
      };
      choices[f.field] = "incoming";
      const radio = (side, text) => h("label", {},
        h("input", { type: "radio", name, value: side, checked: side === "incoming", onchange: () => pick(side) }), " ", text);
      grid.append(h("div", { class: "choice", role: "radiogroup", "aria-label": "Value for " + f.field },
        radio("incoming", "incoming"), radio("canonical", "canonical"), radio("edit", "edit:"), editor));
      choices["$editor:" + f.field] = editor;
    }

    // The request's JSON text. For "merged" (SPEC section 8: the values a person chose) each chosen
    // value goes as its exact JSON text; a field left "canonical" is not sent at all, so the record
    // keeps its value as it is now (sending the value logged with the conflict would write a stale
    // value back, or be refused). Returns null, with the reason shown, when an edit is not JSON.
    function requestText(take) {
      if (take !== "merged") return JSON.stringify({ take });
      const texts = Object.create(null);
      for (const f of fields) {
        const side = choices[f.field];
        if (side === "incoming") texts[f.field] = JsonText.raw(f, "incoming");
        else if (side === "edit") {
          const editor = choices["$editor:" + f.field];
          try {
            texts[f.field] = JsonText.check(editor.value);
          } catch (e) {
            result.replaceChildren(h("div", { class: "problem", role: "alert", id: "edit-refused" },
              h("strong", {}, "The edited value of " + f.field + " is not JSON (" + e.message + "): nothing was sent."),
              h("span", {}, "Write it as JSON: a string in double quotes (\"Acme\"), a number (12.50), true, false, null, an object or an array.")));
            editor.focus();
            return null;
          }
        }
      }
      // Every field left canonical: that is the whole canonical side (the record as it is now).
      if (Object.keys(texts).length === 0) return JSON.stringify({ take: "canonical" });
      return '{"take":"merged","fields":' + JsonText.objectOf(texts) + "}";
    }

    async function resolve(take) {
      const request = requestText(take);
      if (request === null) return;
      result.replaceChildren(h("p", { class: "muted" }, "Resolving…"));
      try {
        const { body: done } = await Api.resolve(c.id, request);
        App.notify("Conflict " + c.id + " resolved (" + take + "): " + c.entity + "/" + c.externalId +
          " is now version " + done.record.version + ".");
        location.hash = "#/conflicts";
      } catch (error) {
        let words = explain(error, "resolve conflicts");
        if (error.status === 412) {
          words = "The record moved on after this conflict was logged, so nothing was written and the " +
            "conflict stays open. The page now shows the record as it is; resolve again (keeping the canonical " +
            "side is always possible, and a field left canonical keeps its value as it is now).";
        } else if (error.status === 409) {
          words = "This conflict is no longer open: someone resolved it meanwhile, nothing was written (HTTP 409). " +
            "The page now shows it as it is.";
        }
        const shownProblem = [problem(error, words), h("p", {}, "Record now: ", recordLink(c.entity, c.externalId))];
        // The page is stale after a 409 or 412: reload the conflict, keeping the refusal in view.
        if (error.status === 409 || error.status === 412) {
          try { await conflict(root, conflictId, shownProblem); return; } catch (reloadError) { /* keep this page */ }
        }
        result.replaceChildren(...shownProblem);
      }
    }

    const actions = operator ? h("div", { class: "actions", id: "resolve-actions" },
      h("button", { type: "button", id: "take-incoming", onclick: () => resolve("incoming") }, "Take incoming (" + event.source + ")"),
      h("button", { type: "button", id: "take-canonical", class: "secondary", onclick: () => resolve("canonical") }, "Keep canonical"),
      isDelete ? null : h("button", { type: "button", id: "take-merged", class: "secondary", onclick: () => resolve("merged") }, "Resolve with my choices"))
      : null;
    if (carried) result.replaceChildren(...carried);

    put(root, 
      heading("Conflict " + c.id + " on " + c.externalId),
      readOnlyNote(),
      h("div", { class: "card" },
        h("p", {}, "Record ", recordLink(c.entity, c.externalId), ": ", event.source + " sent version " + event.version +
          " (event " + event.eventId + ") while the canonical record, at the same version, holds other values " +
          "written by a source of equal priority (SPEC section 3, MANUAL). Status: " + c.status +
          (c.resolution ? " (taken: " + c.resolution + ")" : "") + ", logged " + time(c.createdAt) + "."),
        isDelete ? h("p", { class: "note", id: "delete-conflict" }, "One side deletes the record: take the incoming side or keep " +
          "the canonical one (a deletion cannot be merged field by field).") : null,
        movedFields.length ? h("p", { class: "warn-box", id: "moved-on", role: "note" }, "The record moved on since this conflict was logged (it is at version " +
          now.version + " now; changed: " + movedFields.join(", ") + "): taking the incoming side, or an incoming or edited value for " +
          (movedFields.length === 1 ? "that field" : "those fields") + ", would overwrite a newer value, so the API will refuse it. " +
          "Keep the canonical side (a field left canonical keeps its value as it is now), or look at the record first.") : null,
        grid, actions, result),
      h("details", { class: "card" }, h("summary", {}, "The event and the canonical record as logged"),
        h("div", { class: "side" }, h("pre", { class: "incoming" }, pretty(event)), h("pre", { class: "canonical" }, pretty(canonical)))),
      h("p", {}, h("a", { href: "#/conflicts" }, "← All open conflicts")));
  }

  // ---- Dead letters -------------------------------------------------------------------------
  async function deadLetters(root, status) {
    status = status || "dead";
    loading(root);
    const { body } = await Api.deadLetters(status);
    const list = body.deadLetters;
    const result = h("div", { id: "dead-letter-result" });
    const act = async (letter, verb) => {
      if (verb === "discard" && !window.confirm("Discard dead letter " + letter.id + "? Its event is not applied and stays listed as discarded.")) return;
      try {
        const answer = verb === "replay" ? await Api.replay(letter.id) : await Api.discard(letter.id);
        const b = answer.body || {};
        App.notify("Dead letter " + letter.id + (verb === "replay"
          ? " replayed: " + (b.outcome || "HTTP " + answer.status) + (b.record ? " (" + b.record.entity + "/" + b.record.externalId + " v" + b.record.version + ")" : "")
          : " discarded."));
        App.render();
      } catch (error) {
        const p = error.problem || {};
        const words = explain(error, verb + " dead letters") ||
          (error.status === 409 && p.conflictId ? "Replayed: the event now conflicts (MANUAL); see conflict " + p.conflictId + "." : null);
        result.replaceChildren(problem(error, words));
      }
    };
    const filter = h("select", { id: "dead-letter-status", "aria-label": "Show dead letters with status",
      onchange: (e) => { location.hash = "#/dead-letters/" + e.target.value; } },
      ["dead", "replayed", "discarded", "all"].map((s) => h("option", { value: s, selected: s === status }, s)));
    const rows = list.map((d) => h("tr", { "data-dead-letter-id": d.id },
      cell("Id", String(d.id)),
      cell("Reason", h("span", { class: "badge bad" }, d.reason), d.detail ? h("div", { class: "muted" }, d.detail) : null),
      cell("Attempts", String(d.attempts)),
      cell("First seen", time(d.firstSeen)),
      cell("Last seen", time(d.lastSeen)),
      cell("Event", d.event && typeof d.event.externalId === "string" ? h("div", {}, (d.event.source || "") + " → ", recordLink(d.event.entity || "client", d.event.externalId)) : null,
        h("details", {}, h("summary", {}, "event " + d.eventId), h("pre", {}, pretty(d.event)))),
      cell("Status", d.status),
      cell("", Api.isOperator() && d.status === "dead" ? h("div", { class: "row" },
        // A change a connector could not apply is retried by that connector; the hub refuses
        // to replay it (409 not_replayable): fix the column, then discard.
        d.reason === "CONNECTOR_APPLY_FAILED"
          ? h("span", { class: "muted" }, "retried by the connector")
          : h("button", { type: "button", class: "replay", "aria-label": "Replay dead letter " + d.id, onclick: () => act(d, "replay") }, "Replay"),
        h("button", { type: "button", class: "danger discard", "aria-label": "Discard dead letter " + d.id, onclick: () => act(d, "discard") }, "Discard")) : null)));
    put(root, 
      heading("Dead letters", h("label", {}, "Status ", filter)),
      readOnlyNote(),
      result,
      list.length === 0 ? h("p", { class: "card empty", id: "no-dead-letters" }, "No dead letters with status " + status + ".")
        : h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "dead-letters" },
          h("thead", {}, h("tr", {}, ["Id", "Reason", "Attempts", "First seen", "Last seen", "Event", "Status", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows))));
  }

  // ---- Sources ------------------------------------------------------------------------------
  const kDelivery = {
    current: ["good", "current", "every change acknowledged"],
    behind: ["warn", "behind", "acknowledging; changes in flight"],
    stalled: ["bad", "stalled", "changes unacknowledged for over a minute: disconnected or stuck"],
    loading: ["warn", "loading", "a reverse load is in progress"],
    never: ["bad", "never connected", "its connector never acknowledged a change"],
  };
  const kPriorityMin = "-1000000";  // the API's range (services/ingest/routes/sources_routes.cpp)
  const kPriorityMax = "1000000";
  async function sources(root) {
    loading(root);
    const { body } = await Api.sources();
    const result = h("div", { id: "source-result" });
    // Rows in name order: a saved priority never moves a row under the operator's hand.
    const listed = body.sources.slice().sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
    const rows = listed.map((s) => {
      const [tone, word, meaning] = kDelivery[s.delivery] || ["", s.delivery || "?", ""];
      let priority = raw(s, "priority");
      if (Api.isOperator()) {
        // Text, not type=number: the browser would hide what was typed (abc reads as "", 1e3 passes).
        const input = h("input", { type: "text", inputmode: "numeric", class: "priority", id: "priority-" + s.source,
          value: raw(s, "priority"), size: "8", autocomplete: "off", "aria-label": "Priority of " + s.source });
        const save = async (e) => {
          e.preventDefault();
          const typed = input.value.trim();
          // What the API accepts (sources_routes.cpp, docs/openapi.yaml): an integer in the range.
          if (!/^-?(0|[1-9][0-9]*)$/.test(typed) || BigInt(typed) < BigInt(kPriorityMin) || BigInt(typed) > BigInt(kPriorityMax)) {
            result.replaceChildren(h("div", { class: "problem", role: "alert", id: "priority-refused" },
              h("strong", {}, "Priority of " + s.source + ": " + JSON.stringify(typed) + " is not a whole number from " +
                kPriorityMin + " to " + kPriorityMax + "; nothing was saved."),
              h("span", {}, "Write digits only, with an optional leading minus (lower ranks higher).")));
            input.focus();
            return;
          }
          try {
            const { body: stored } = await Api.setPriority(s.source, typed);
            App.notify("Priority of " + stored.source + " is now " + raw(stored, "priority") + " (lower ranks higher).");
            App.render();
          } catch (error) {
            result.replaceChildren(problem(error, explain(error, "change priorities")));
          }
        };
        priority = h("form", { class: "row nowrap", onsubmit: save },
          input, h("button", { type: "submit", class: "secondary", "aria-label": "Save the priority of " + s.source }, "Save"));
      }
      return h("tr", { "data-source": s.source },
        cell("Source", h("strong", {}, s.source)),
        cell("Priority", priority),
        cell("Connection", h("span", { class: "badge " + tone, title: meaning }, word), h("div", { class: "muted" }, meaning)),
        cell("Last acknowledgement", time(s.lastAcknowledgedAt)),
        cell("Unacknowledged", String(s.unacknowledgedRecords)),
        cell("Oldest unacknowledged", age(s.oldestUnacknowledgedSeconds)),
        cell("Parked rows", s.parkedRows ? h("a", { href: "#/dead-letters", class: "badge bad" }, raw(s, "parkedRows")) : "0"),
        cell("Reload", s.reloadRequested ? "requested" : Api.isOperator()
          ? h("button", { type: "button", class: "secondary reload", "aria-label": "Request a reverse load of " + s.source,
            onclick: async () => {
              if (!window.confirm("Request a reverse load of " + s.source + "? Its next session starts by receiving every canonical record.")) return;
              try {
                await Api.reload(s.source);
                App.notify("Reload of " + s.source + " requested: its next session starts with every canonical record.");
                App.render();
              } catch (error) {
                result.replaceChildren(problem(error, explain(error, "request reloads")));
              }
            } }, "Request") : "—"));
    });
    put(root, 
      heading("Sources"),
      readOnlyNote(),
      result,
      h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "sources" },
        h("thead", {}, h("tr", {}, ["Source", "Priority", "Connection", "Last acknowledgement", "Unacknowledged",
          "Oldest unacknowledged", "Parked rows", "Reload"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows))),
      h("p", { class: "muted" }, "A lower priority number ranks higher; the operator ranks above every source. " +
        "Connection and parked rows come from the hub's tables (docs/operations.md, \"Console\"): parked rows are " +
        "the dead letters its connector reported that nobody replayed or discarded yet."));
  }

  // ---- Records ------------------------------------------------------------------------------
  function recordForm(entity, key) {
    const entityInput = h("input", { type: "text", id: "record-entity", value: entity || "client", "aria-label": "Entity", size: "10" });
    const keyInput = h("input", { type: "text", id: "record-key", value: key || "", "aria-label": "External id", placeholder: "CUST-004", required: true });
    return h("form", { class: "row card", id: "record-form", onsubmit: (e) => {
      e.preventDefault();
      location.hash = "#/records/" + encodeURIComponent(entityInput.value.trim()) + "/" + encodeURIComponent(keyInput.value.trim());
    } }, h("label", { for: "record-entity" }, "Entity"), entityInput, h("label", { for: "record-key" }, "External id"), keyInput,
    h("button", { type: "submit" }, "Show"));
  }

  // For each field: the history entry that last changed its value or provenance.
  function settersOf(history) {
    const setters = {};
    let before = history.truncated ? history.truncated.recordAfter : null;
    for (const entry of history.history) {
      const after = entry.recordAfter;
      if (!after || !entry.changed) continue;
      const names = new Set([...Object.keys(after.fields || {}), ...Object.keys((before && before.fields) || {})]);
      for (const name of names) {
        const was = before && before.fields ? JsonText.raw(before.fields, name) : undefined;
        const wasBy = before && before.provenance ? before.provenance[name] : undefined;
        if (!JsonText.same(was, JsonText.raw(after.fields || {}, name)) || wasBy !== (after.provenance || {})[name]) setters[name] = entry;
      }
      before = after;
    }
    return setters;
  }

  function changesOf(before, after) {
    if (!after) return [];
    const changes = [];
    const names = new Set([...Object.keys(after.fields || {}), ...Object.keys((before && before.fields) || {})]);
    for (const name of [...names].sort()) {
      const was = before && before.fields ? JsonText.raw(before.fields, name) : undefined;
      const now = JsonText.raw(after.fields || {}, name);
      if (!JsonText.same(was, now)) changes.push(h("li", { class: "mono" }, name + ": " + (was === undefined ? "—" : was) + " → " + (now === undefined ? "—" : now)));
    }
    if (before && before.deleted !== after.deleted) changes.push(h("li", {}, after.deleted ? "deleted" : "restored"));
    return changes;
  }

  async function record(root, entity, key) {
    if (!key) {
      put(root, heading("Records"), recordForm(entity, key),
        h("p", { class: "muted" }, "A record's page shows its fields, the source that set each, and its history."));
      return;
    }
    loading(root);
    let stored;
    let history = null;
    try {
      stored = (await Api.record(entity, key)).body;
    } catch (error) {
      if (error.status !== 404) throw error;
      put(root, heading("Records"), recordForm(entity, key), problem(error, "No record " + entity + "/" + key + "."));
      return;
    }
    try { history = (await Api.history(entity, key)).body; } catch (error) { if (error.status !== 404) throw error; }
    const setters = history ? settersOf(history) : {};
    const provenance = stored.provenance || {};
    const versions = stored.fieldVersions || {};
    const fieldRows = Object.keys(stored.fields || {}).sort().map((name) => {
      const setter = setters[name];
      return h("tr", { "data-field": name },
        cell("Field", h("span", { class: "mono" }, name)),
        cell("Value", h("span", { class: "mono value exact" }, raw(stored.fields, name))),
        cell("Set by", provenance[name] || "?"),
        cell("At version", versions[name] !== undefined ? String(versions[name]) : "—"),
        cell("Why", setter ? h("a", { href: "#/records/" + encodeURIComponent(entity) + "/" + encodeURIComponent(key) + "/" + setter.seq,
          "aria-label": "Why " + name + " holds this value: event " + setter.seq }, "#" + setter.seq + " " + setter.outcome) : "—"));
    });
    const timeline = h("ol", { class: "timeline", id: "timeline", "aria-label": "History, oldest first" });
    let before = history && history.truncated ? history.truncated.recordAfter : null;
    if (history && history.truncated) {
      timeline.append(h("li", { class: "unchanged" }, "Older history dropped by retention, up to #" + history.truncated.throughSeq +
        " (" + time(history.truncated.resolvedAt) + ")."));
    }
    for (const entry of history ? history.history : []) {
      const changes = entry.changed ? changesOf(before, entry.recordAfter) : [];
      timeline.append(h("li", { id: "seq-" + entry.seq, class: entry.changed ? "" : "unchanged", tabindex: "-1" },
        h("div", {}, h("strong", {}, "#" + entry.seq + " " + entry.outcome), " · " + entry.source + " v" + entry.version +
          " · " + time(entry.resolvedAt) + (entry.credential ? " · by " + entry.credential : "")),
        h("div", { class: "muted" }, entry.source === "operator" ? "an operator's write (a conflict resolution or an edit) · " : "",
          entry.changed ? "changed the record" : entry.outcome === "MANUAL"
          ? "conflict logged; nothing applied" : "changed nothing", " · event " + entry.eventId),
        changes.length ? h("ul", {}, changes) : null));
      if (entry.changed && entry.recordAfter) before = entry.recordAfter;
    }
    put(root, 
      heading(entity + "/" + key),
      recordForm(entity, key),
      h("div", { class: "card" },
        h("p", {}, "Version " + stored.version + ", last written by " + stored.lastSource + ", etag " + stored.etag +
          (stored.deleted ? " · deleted" : "")),
        h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "record-fields" },
          h("thead", {}, h("tr", {}, ["Field", "Value", "Set by", "At version", "Why is this value here"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, fieldRows)))),
      h("h3", {}, "History"),
      history ? timeline : h("p", { class: "muted" }, "No history."));
  }

  // ---- Counters -----------------------------------------------------------------------------
  // Prometheus text -> [{name, labels: {...}, value}].
  function parseMetrics(text) {
    const samples = [];
    for (const line of text.split("\n")) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of (m[2] || "").matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return samples;
  }
  const kMetricsEverySeconds = 5;
  const kStatsEverySeconds = 30;
  function counters(root) {
    const outcomes = h("div", { class: "counters", id: "outcome-counters" });
    const requests = h("div", { class: "counters", id: "request-counters" });
    const hub = h("div", { class: "counters", id: "hub-counters" });
    const hubOutcomes = h("div", { class: "counters", id: "hub-outcomes" });
    const status = h("p", { class: "muted", id: "counters-status" });
    put(root, heading("Live counters"),
      h("h3", {}, "This gateway's resolutions, by outcome (every " + kMetricsEverySeconds + " s, from /metrics)"), outcomes,
      h("h3", {}, "HTTP requests answered (this gateway)"), requests,
      h("h3", {}, "The whole hub (every " + kStatsEverySeconds + " s, from /api/stats: it counts the whole log)"), hub,
      h("h3", {}, "Every resolution in the log, by outcome"), hubOutcomes,
      status);
    let last = null;
    const counter = (label, n, rate) => h("div", { class: "counter" }, h("div", { class: "muted" }, label),
      h("div", { class: "n" }, String(n)), rate === null ? null
        : h("div", { class: "rate" }, rate === undefined ? "rate at the next update" : rate.toFixed(1) + " /s"));
    async function pollMetrics() {
      try {
        const { body } = await Api.metrics();
        const now = Date.now();
        const byOutcome = {};
        const requestsBy = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
        for (const s of parseMetrics(body)) {
          if (s.name === "synchub_outcomes_total") byOutcome[s.labels.outcome] = s.value;
          if (s.name === "synchub_http_requests_total") {
            const k = (s.labels.status || "0")[0] + "xx";
            requestsBy[k] = (requestsBy[k] || 0) + s.value;
          }
        }
        const rate = (key, value) => last && last.values[key] !== undefined ? Math.max(0, (value - last.values[key]) / ((now - last.at) / 1000)) : undefined;
        outcomes.replaceChildren(...Object.keys(byOutcome).sort().map((o) => counter(o, byOutcome[o], rate("o:" + o, byOutcome[o]))));
        if (Object.keys(byOutcome).length === 0) outcomes.replaceChildren(h("p", { class: "muted" }, "No resolutions through this gateway yet."));
        requests.replaceChildren(...Object.keys(requestsBy).map((k) => counter(k, requestsBy[k], rate("r:" + k, requestsBy[k]))));
        const values = {};
        for (const o of Object.keys(byOutcome)) values["o:" + o] = byOutcome[o];
        for (const k of Object.keys(requestsBy)) values["r:" + k] = requestsBy[k];
        last = { at: now, values };
        status.textContent = "Updated " + new Date(now).toISOString().replace("T", " ").slice(0, 19) + " UTC.";
      } catch (error) {
        status.replaceChildren(problem(error));
      }
    }
    async function pollStats() {
      try {
        const { body } = await Api.stats();
        hub.replaceChildren(counter("records", body.records, null), counter("open conflicts", body.openConflicts, null),
          counter("dead letters", body.deadLetters, null), counter("deferred", body.deferred, null),
          counter("resolutions", body.resolutions, null));
        hubOutcomes.replaceChildren(...Object.keys(body.outcomes || {}).sort().map((o) => counter(o, body.outcomes[o], null)));
      } catch (error) {
        hub.replaceChildren(problem(error));
      }
    }
    pollMetrics();
    pollStats();
    const timers = [setInterval(() => { if (!document.hidden) pollMetrics(); }, kMetricsEverySeconds * 1000),
      setInterval(() => { if (!document.hidden) pollStats(); }, kStatsEverySeconds * 1000)];
    return () => timers.forEach(clearInterval);
  }

  return { conflicts, conflict, deadLetters, sources, record, counters };
})();
