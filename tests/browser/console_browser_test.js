// The operator's console in a real browser (Debian's chromium, headless, driven by
// puppeteer-core) on a stack that ran the demo (console_browser_test.sh starts it).
// Env: SYNCHUB_URL, OPERATOR_TOKEN, READER_TOKEN, CRM_TOKEN, WEB_TOOLS (tools/web),
//      SHOT_DIR (where the screenshots go), PROFILE_DIR (a fresh --user-data-dir).
// Every step waits for a condition (waitForSelector / waitForFunction); nothing sleeps.
"use strict";

const path = require("path");
const puppeteer = require(path.join(process.env.WEB_TOOLS, "node_modules", "puppeteer-core"));

const base = process.env.SYNCHUB_URL;
const tokens = { operator: process.env.OPERATOR_TOKEN, reader: process.env.READER_TOKEN, crm: process.env.CRM_TOKEN };
const shots = process.env.SHOT_DIR;
let failures = 0;

function check(what, ok, detail) {
  console.log((ok ? "ok      " : "FAILED  ") + what + (ok || detail === undefined ? "" : ": " + detail));
  if (!ok) failures += 1;
}

async function api(method, route, body, token) {
  const headers = { Authorization: "Bearer " + (token || tokens.operator) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = text; }
  return { status: response.status, body: json, headers: response.headers };
}

// The same with a body given as JSON text, sent verbatim (exact number literals); the answer's
// text is kept (text) beside its parse.
async function apiText(method, route, bodyText, token) {
  const headers = { Authorization: "Bearer " + (token || tokens.operator) };
  if (bodyText !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(base + route, { method, headers, body: bodyText });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = text; }
  return { status: response.status, text, body: json };
}
// Whether the member "name" of the JSON text `text` is written exactly as `literal`.
function holdsLiteral(text, name, literal) {
  const escaped = literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp('"' + name + '"\\s*:\\s*' + escaped + "\\s*[,}]").test(text);
}
// A wait that answers false instead of throwing on its timeout (a check, not the test's end).
const waitOk = (promise) => promise.then(() => true, () => false);

async function main() {
  // ---- The static files, without a token --------------------------------------------------
  const bare = await fetch(base + "/console", { redirect: "manual" });
  check("/console redirects to /console/", bare.status === 301 && bare.headers.get("location") === "/console/", bare.status);
  const index = await fetch(base + "/console/");
  const csp = index.headers.get("content-security-policy") || "";
  check("/console/ is served without a token, as HTML", index.status === 200 &&
    index.headers.get("content-type").startsWith("text/html"), index.status + " " + index.headers.get("content-type"));
  check("a Content-Security-Policy allowing this origin only", csp.includes("script-src 'self'") &&
    csp.includes("default-src 'none'") && !csp.includes("unsafe-inline"), csp);
  check("X-Content-Type-Options: nosniff", index.headers.get("x-content-type-options") === "nosniff");
  const script = await fetch(base + "/console/app.js");
  check("app.js is text/javascript", (script.headers.get("content-type") || "").startsWith("text/javascript"));
  check("an unknown console file is 404", (await fetch(base + "/console/nope.js")).status === 404);

  // Two conflicts besides the demo's CUST-004: CUST-STALE's record then moves on (a newer CRM
  // version), so resolving it must be refused and explained.
  const stale = "CUST-STALE-" + Date.now();
  await api("POST", "/api/sync", { eventId: stale + "-1", externalId: stale, source: "CRM", version: 1, fields: { email: "one@example.com" } }, tokens.crm);
  const manual = await api("POST", "/api/sync", { eventId: stale + "-2", externalId: stale, source: "CRM", version: 1, fields: { email: "two@example.com" } }, tokens.crm);
  check("a second conflict is logged (409 MANUAL)", manual.status === 409, JSON.stringify(manual.body));
  const staleConflict = manual.body.conflictId;

  // Values the hub keeps exactly but a JS double would not: a conflict on each. (1e400 the hub
  // refuses at the door, 400 number_not_storable; 1e300 a double would print as 1e+300.)
  const exactKey = "CUST-EXACT-" + Date.now();
  const literals = { big: "9007199254740993", huge: "1e300", price: "12.50", tenth: "0.1000000000000000055511151231257827" };
  // What the hub answers for each: the same literal, but 1e300 in its digits (equal JSON, exact).
  const held = Object.assign({}, literals, { huge: "1" + "0".repeat(300) });
  const eventText = (n, values) => '{"eventId":"' + exactKey + "-" + n + '","externalId":"' + exactKey +
    '","source":"CRM","version":1,"fields":{' + Object.keys(values).map((k) => '"' + k + '":' + values[k]).join(",") + "}}";
  await apiText("POST", "/api/sync", eventText(1, { big: "1", huge: "2", price: "3", tenth: "4", typed: "5" }), tokens.crm);
  const exactManual = await apiText("POST", "/api/sync", eventText(2, Object.assign({ typed: "6" }, literals)), tokens.crm);
  check("a conflict on exact values is logged (409 MANUAL)", exactManual.status === 409, exactManual.text);
  const exactConflict = exactManual.body.conflictId;

  // A conflict on two fields whose record then moves on in one of them (phone, CRM v2).
  const canonKey = "CUST-CANON-" + Date.now();
  await api("POST", "/api/sync", { eventId: canonKey + "-1", externalId: canonKey, source: "CRM", version: 1, fields: { email: "a@example.com", phone: "111" } }, tokens.crm);
  const canonManual = await api("POST", "/api/sync", { eventId: canonKey + "-2", externalId: canonKey, source: "CRM", version: 1, fields: { email: "b@example.com", phone: "222" } }, tokens.crm);
  check("a two-field conflict is logged (409 MANUAL)", canonManual.status === 409, JSON.stringify(canonManual.body));
  await api("POST", "/api/sync", { eventId: canonKey + "-3", externalId: canonKey, source: "CRM", version: 2, fields: { phone: "333" } }, tokens.crm);

  // A delete conflict: CRM deletes at the version it wrote.
  const delKey = "CUST-DEL-" + Date.now();
  await api("POST", "/api/sync", { eventId: delKey + "-1", externalId: delKey, source: "CRM", version: 1, fields: { fullName: "Dora Deleted" } }, tokens.crm);
  const delManual = await api("POST", "/api/sync", { eventId: delKey + "-2", externalId: delKey, source: "CRM", version: 1, op: "delete", fields: {} }, tokens.crm);
  check("a delete conflict is logged (409 MANUAL)", delManual.status === 409, JSON.stringify(delManual.body));
  const delConflict = delManual.body.conflictId;

  // A conflict someone else resolves while the page shows it.
  const goneKey = "CUST-GONE-" + Date.now();
  await api("POST", "/api/sync", { eventId: goneKey + "-1", externalId: goneKey, source: "CRM", version: 1, fields: { email: "x@example.com" } }, tokens.crm);
  const goneConflict = (await api("POST", "/api/sync", { eventId: goneKey + "-2", externalId: goneKey, source: "CRM", version: 1, fields: { email: "y@example.com" } }, tokens.crm)).body.conflictId;

  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    userDataDir: process.env.PROFILE_DIR,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const browserErrors = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15000);
    // The refusals this test provokes (412 stale, 403 reader) are logged by chromium as failed
    // loads; every other error (a CSP violation, a script error, any other failed load) counts.
    page.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource: .* (401|403|409|412) /.test(m.text())) browserErrors.push(m.text());
    });
    // Every write the page sends (its exact body), and every confirm dialog (accepted).
    const writes = [];
    page.on("request", (r) => { if (r.method() !== "GET") writes.push(r.method() + " " + new URL(r.url()).pathname + " " + (r.postData() || "")); });
    const dialogs = [];
    page.on("dialog", async (d) => { dialogs.push(d.message()); await d.accept(); });
    page.on("pageerror", (e) => browserErrors.push(String(e)));
    await page.setViewport({ width: 1280, height: 800 });
    const shot = async (name) => page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
    const text = (selector) => page.$eval(selector, (e) => e.textContent);
    const noticeSays = (words) => page.waitForFunction((w) => {
      const n = document.getElementById("notice");
      return n && !n.hidden && n.textContent.includes(w);
    }, {}, words);

    // ---- Sign in with the keyboard ----------------------------------------------------------
    await page.goto(base + "/console/", { waitUntil: "domcontentloaded" });
    await page.waitForSelector("#token");
    check("signed out: no navigation and no sign-out button shown", await page.evaluate(() =>
      document.getElementById("nav").offsetParent === null && document.getElementById("who").offsetParent === null));
    check("the token field is labelled", (await page.$eval('label[for="token"]', (e) => e.textContent)) === "Token");
    await shot("sign-in");
    await page.focus("#token");
    await page.keyboard.type(tokens.operator);
    await page.keyboard.press("Enter");
    await page.waitForSelector('#conflicts tr[data-external-id="CUST-004"]');
    check("signed in as operator (badge)", (await text("#role")) === "operator");
    check("the token is in no URL", !page.url().includes(tokens.operator));
    check("the token is in session storage, not local storage", await page.evaluate((t) =>
      sessionStorage.getItem("synchub.token") === t && localStorage.length === 0, tokens.operator));
    await shot("conflicts");

    // ---- CUST-004's conflict: side by side, resolved with an edited value (take: merged) --
    await page.click('#conflicts tr[data-external-id="CUST-004"] a.button');
    await page.waitForSelector("#conflict-fields");
    const sides = await page.$$eval('#conflict-fields [data-field="email"]', (cells) => cells.map((c) => c.getAttribute("data-side") + ":" + c.textContent));
    check("incoming and canonical email side by side, each with the source that set it",
      sides.length === 2 && sides[0].startsWith("incoming:") && sides[0].includes("set by CRM") &&
      sides[1].startsWith("canonical:") && sides[1].includes("set by CRM"), JSON.stringify(sides));
    await shot("conflict");
    const merged = "david.merged@example.com";
    await page.click('input[name="choice-email"][value="edit"]');
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === "edit-email");
    await page.$eval("#edit-email", (e) => { e.value = ""; });
    await page.keyboard.type(JSON.stringify(merged));
    await page.click("#take-merged");
    await noticeSays("resolved (merged)");
    await page.waitForFunction(() => location.hash === "#/conflicts" && document.querySelector(".page-title"));
    check("CUST-004 left the list of open conflicts", (await page.$('#conflicts tr[data-external-id="CUST-004"]')) === null);
    const open = await api("GET", "/api/conflicts?status=open");
    check("the API lists no open conflict on CUST-004", !open.body.conflicts.some((c) => c.externalId === "CUST-004"));
    const cust4 = await api("GET", "/api/records/client/CUST-004");
    check("the record holds the chosen value, set by the operator",
      cust4.body.fields.email === merged && cust4.body.provenance.email === "operator", JSON.stringify(cust4.body));

    // ---- The record's page: provenance and history -----------------------------------------
    await page.goto(base + "/console/#/records/client/CUST-004");
    await page.waitForSelector('#record-fields tr[data-field="email"]');
    await page.waitForSelector("#timeline li");
    const emailRow = await text('#record-fields tr[data-field="email"]');
    check("the record page shows the new email and its provenance", emailRow.includes(merged) && emailRow.includes("operator"), emailRow);
    const timeline = await text("#timeline");
    check("the timeline holds the conflict and its resolution", timeline.includes("MANUAL") && timeline.includes("operator"), timeline);
    await page.click('#record-fields tr[data-field="email"] td[data-label="Why"] a');
    await page.waitForSelector("#timeline li.target");
    check("'why' points at the operator's event", (await text("#timeline li.target")).includes("operator"));
    await shot("record");

    // ---- A conflict whose record moved on: the refusal explained, nothing overwritten ---
    await api("POST", "/api/sync", { eventId: stale + "-3", externalId: stale, source: "CRM", version: 2, fields: { email: "three@example.com" } }, tokens.crm);
    await page.goto(base + "/console/#/conflicts/" + staleConflict);
    await page.waitForSelector("#take-incoming");
    check("the conflict page warns that the record moved on, with the value now",
      (await page.$("#moved-on")) !== null && (await text('#conflict-fields [data-side="canonical"]')).includes("three@example.com"));
    await page.click("#take-incoming");
    await page.waitForSelector("#resolve-result .problem");
    const refusal = await text("#resolve-result .problem");
    check("taking incoming on a record that moved on is refused and explained", refusal.includes("moved on") &&
      refusal.includes("HTTP 412") && refusal.includes("conflict_stale"), refusal);
    const after = await api("GET", "/api/records/client/" + stale);
    check("nothing was overwritten", after.body.fields.email === "three@example.com", JSON.stringify(after.body.fields));
    await shot("conflict-refused");
    check("after the 412 the page shows the conflict reloaded, still open, with the refusal", await waitOk(page.waitForFunction(() =>
      document.querySelector("#resolve-result .problem") && document.querySelector("#take-incoming") &&
      document.querySelector("#moved-on"), { timeout: 5000 })));

    // Each section below counts an exception as a failure and lets the next one run.
    const section = async (name, steps) => {
      try { await steps(); } catch (error) { check(name + ": ran to its end", false, error.message); }
    };
    // ---- Exact values: shown and sent as their JSON text, never through a JS number ----------
    await section("exact values", async () => {
    await page.goto(base + "/console/#/conflicts/" + exactConflict);
    await page.waitForSelector("#take-merged");
    const shownIncoming = await page.$$eval('#conflict-fields [data-side="incoming"] .mono', (e) => e.map((x) => x.textContent));
    check("the conflict page shows each incoming value exactly as sent",
      JSON.stringify(shownIncoming.slice().sort()) === JSON.stringify(Object.values(held).concat("6").sort()), JSON.stringify(shownIncoming));
    // An edit that is not JSON is refused in the page, naming the field; nothing is sent.
    const writesBefore = writes.length;
    await page.click('input[name="choice-price"][value="edit"]');
    await page.$eval("#edit-price", (e) => { e.value = ""; });
    await page.type("#edit-price", "abc");
    await page.click("#take-merged");
    const editRefused = await waitOk(page.waitForSelector("#edit-refused", { timeout: 5000 }));
    const editWords = editRefused ? await text("#edit-refused") : "";
    check("an edited value that is not JSON is refused, naming the field and showing a quoted string",
      editRefused && editWords.includes("price") && editWords.includes('"Acme"'), editWords);
    check("and nothing was sent", writes.length === writesBefore, writes.slice(writesBefore).join(" | "));
    // A lone surrogate typed as such cannot go as typed (UTF-8 would carry U+FFFD): refused.
    await page.$eval("#edit-price", (e) => { e.value = '"\ud800"'; });
    await page.click("#take-merged");
    await waitOk(page.waitForFunction(() => (document.querySelector("#edit-refused") || {}).textContent.includes("surrogate"), { timeout: 5000 }));
    const surrogateWords = await text("#edit-refused");
    check("an edit holding a lone surrogate is refused, saying to write it as \\uXXXX",
      surrogateWords.includes("price") && surrogateWords.includes("surrogate"), surrogateWords);
    check("and nothing was sent", writes.length === writesBefore, writes.slice(writesBefore).join(" | "));
    await page.click('input[name="choice-price"][value="incoming"]');
    // An edited value goes as typed too.
    await page.click('input[name="choice-typed"][value="edit"]');
    await page.$eval("#edit-typed", (e) => { e.value = ""; });
    await page.type("#edit-typed", "1.10");
    await page.click("#take-merged");
    const exactResolved = await waitOk(noticeSays("Conflict " + exactConflict + " resolved (merged)"));
    const exactRecord = await apiText("GET", "/api/records/client/" + exactKey);
    check("merged via the console, the record holds every literal exactly (9007199254740993, 1e300, 12.50, 0.1000…827, edited 1.10)",
      exactResolved && Object.keys(held).every((k) => holdsLiteral(exactRecord.text, k, held[k])) &&
      holdsLiteral(exactRecord.text, "typed", "1.10"), exactRecord.text);
    await page.goto(base + "/console/#/records/client/" + exactKey);
    await page.waitForSelector('#record-fields tr[data-field="big"]');
    const shownRecord = {};
    for (const k of Object.keys(literals)) shownRecord[k] = await text('#record-fields tr[data-field="' + k + '"] .value');
    check("the record page shows each value exactly", Object.keys(held).every((k) => shownRecord[k] === held[k]), JSON.stringify(shownRecord));

    });
    // ---- "canonical" in a merged resolve keeps the value as it is now, never the logged one --
    await section("canonical in merged", async () => {
    await page.goto(base + "/console/#/conflicts/" + canonManual.body.conflictId);
    await page.waitForSelector("#take-merged");
    check("the page names the field that moved on", (await text("#moved-on")).includes("phone"));
    await page.click('input[name="choice-phone"][value="canonical"]');
    await page.click("#take-merged");
    const canonResolved = await waitOk(noticeSays("resolved (merged)"));
    const canonRecord = (await api("GET", "/api/records/client/" + canonKey)).body;
    check("canonical chosen for a field that moved on keeps its value now (333), incoming taken for the other",
      canonResolved && canonRecord.fields.phone === "333" && canonRecord.fields.email === "b@example.com", JSON.stringify(canonRecord.fields));
    check("the merged request carried no value for the field left canonical",
      writes.some((w) => w.includes("/resolve") && w.includes('"email":"b@example.com"') && !w.includes("phone")), writes.join(" | "));

    });
    // ---- A delete conflict: the delete side shown as deleted, whole sides only -------------
    await section("delete conflict", async () => {
    await page.goto(base + "/console/#/conflicts/" + delConflict);
    await page.waitForSelector("#conflict-fields");
    const delIncoming = await text('#conflict-fields [data-side="incoming"] .mono');
    check("a delete conflict shows the delete side as deleted and no 'moved on'",
      delIncoming === "deleted" && (await page.$("#moved-on")) === null, delIncoming);
    check("and offers take incoming / keep canonical, no merged editor",
      (await page.$("#take-incoming")) !== null && (await page.$("#take-canonical")) !== null &&
      (await page.$("#take-merged")) === null && (await page.$("#conflict-fields textarea")) === null);
    await page.click("#take-incoming");
    const delResolved = await waitOk(noticeSays("Conflict " + delConflict + " resolved (incoming)"));
    const delRecord = await api("GET", "/api/records/client/" + delKey);
    check("taking the delete side deletes the record", delResolved && (delRecord.status === 404 || delRecord.body.deleted === true), JSON.stringify(delRecord.body));
    });

    // ---- Resolved meanwhile: the 409 explained and the page reloaded (no stale buttons) ------
    await section("resolved meanwhile", async () => {
      await page.goto(base + "/console/#/conflicts/" + goneConflict);
      await page.waitForSelector("#take-canonical");
      await api("POST", "/api/conflicts/" + goneConflict + "/resolve", { take: "canonical" });
      await page.click("#take-canonical");
      await page.waitForSelector("#resolve-result .problem");
      check("a conflict resolved meanwhile: the 409 explained, the page reloaded (resolved, taken: canonical; no resolve buttons)",
        await waitOk(page.waitForFunction(() => document.querySelector("#resolve-result .problem").textContent.includes("HTTP 409") &&
          !document.querySelector("#resolve-actions") && document.querySelector("#page .card p").textContent.includes("taken: canonical"), { timeout: 5000 })),
        await page.$eval("#page", (e) => e.textContent.slice(0, 600)));
    });

    // ---- Dead letters: replay one ------------------------------------------------------------
    await page.goto(base + "/console/#/dead-letters");
    await page.waitForSelector("#dead-letters tbody tr");
    check("a long externalId wraps: the dead letters table does not overflow", await page.evaluate(() => {
      const wrap = document.querySelector("#dead-letters").parentElement;
      return wrap.scrollWidth <= wrap.clientWidth && document.documentElement.scrollWidth <= window.innerWidth;
    }));
    await page.click("#dead-letters tbody tr details summary");
    await page.waitForSelector("#dead-letters tbody tr details[open] pre");
    await shot("dead-letters");
    const letters = (await api("GET", "/api/dead-letters")).body.deadLetters;
    const letter = letters.find((d) => d.eventId === "localdb-console-1");
    check("the dead letter is listed with reason and attempts", !!letter && (await text('#dead-letters tr[data-dead-letter-id="' + letter.id + '"]')).includes("CONNECTOR_PUSH_FAILED"));
    await page.click('#dead-letters tr[data-dead-letter-id="' + letter.id + '"] button.replay');
    await noticeSays("Dead letter " + letter.id + " replayed");
    await page.waitForFunction((id) => !document.querySelector('#dead-letters tr[data-dead-letter-id="' + id + '"]') &&
      document.querySelector(".page-title"), {}, letter.id);
    const replayed = (await api("GET", "/api/dead-letters?status=replayed")).body.deadLetters;
    check("the API shows the dead letter replayed", replayed.some((d) => d.id === letter.id));
    const parked = await api("GET", "/api/records/client/CUST-PARKED-1");
    check("its event reached the hub", parked.status === 200 && parked.body.fields.fullName === "Parked Pat", JSON.stringify(parked.body));

    // ---- Sources: parked rows, delivery, a priority changed with the keyboard ----------------
    await page.goto(base + "/console/#/sources");
    await page.waitForSelector('#sources tr[data-source="Portal"]');
        const parkedRows = await page.$eval('#sources tr[data-source="LocalDB"] td[data-label="Parked rows"]', (e) => e.textContent.trim());
    check("LocalDB shows its two parked rows still open", parkedRows === "2", parkedRows);
    check("every source shows a connection state", (await page.$$eval("#sources td[data-label='Connection'] .badge", (b) => b.length)) === 4);
    await shot("sources");
    const order = () => page.$$eval("#sources tbody tr", (rows) => rows.map((r) => r.dataset.source).join(","));
    const orderBefore = await order();
    check("sources are listed by name", orderBefore === "CRM,ERP,LocalDB,Portal", orderBefore);
    // Priorities the API would not take, or that would be saved as something else: refused in
    // the page, naming the source and the range; nothing sent.
    for (const typed of ["", "abc", "1.5", "1e3", "-9999999", "007"]) {
      const sent = writes.length;
      await page.$eval("#source-result", (e) => e.replaceChildren());
      await page.click("#priority-Portal", { clickCount: 3 });
      await page.keyboard.press("Backspace");
      if (typed) await page.keyboard.type(typed);
      await page.keyboard.press("Enter");
      const refused = await waitOk(page.waitForSelector("#priority-refused", { timeout: 4000 }));
      const words = refused ? await text("#priority-refused") : "";
      check("priority " + JSON.stringify(typed) + " is refused, naming Portal and the range, nothing sent",
        refused && words.includes("Portal") && words.includes("-1000000") && words.includes("1000000") &&
        writes.length === sent, words || writes.slice(sent).join(" | "));
      if (!refused) await page.goto(base + "/console/#/sources").then(() => page.waitForSelector("#priority-Portal"));
    }
    check("and Portal's priority is unchanged", (await api("GET", "/api/sources/Portal")).body.priority === 3);
    await page.click("#priority-Portal", { clickCount: 3 });
    await page.keyboard.type("7");
    await page.keyboard.press("Enter");
    await noticeSays("Priority of Portal is now 7");
    await page.waitForFunction(() => document.getElementById("priority-Portal") && document.getElementById("priority-Portal").value === "7");
    const portal = await api("GET", "/api/sources/Portal");
    check("the API shows Portal's new priority", portal.body.priority === 7, JSON.stringify(portal.body));
    check("the priority was sent as typed", writes.some((w) => w === 'PUT /api/sources/Portal {"priority":7}'), writes.join(" | "));
    const orderAfter = await order();
    check("rows keep their order after a save", orderAfter === orderBefore, orderAfter);
    await page.click('#sources tr[data-source="ERP"] button.reload');
    await noticeSays("Reload of ERP requested");
    check("a reload is confirmed first", dialogs.some((d) => d.includes("reverse load of ERP")), JSON.stringify(dialogs));

    // ---- Dead letters: discard the other one -----------------------------------------------
    const other = letters.find((d) => d.eventId === "localdb-console-2");
    await page.goto(base + "/console/#/dead-letters");
    await page.waitForSelector('#dead-letters tr[data-dead-letter-id="' + other.id + '"] button.discard');
    await page.click('#dead-letters tr[data-dead-letter-id="' + other.id + '"] button.discard');
    await noticeSays("Dead letter " + other.id + " discarded");
    check("a discard is confirmed first", dialogs.some((d) => d.includes("Discard dead letter " + other.id)), JSON.stringify(dialogs));
    const discarded = (await api("GET", "/api/dead-letters?status=discarded")).body.deadLetters;
    check("the API shows the other dead letter discarded", discarded.some((d) => d.id === other.id));
    check("and LocalDB has one parked row left", (await api("GET", "/api/sources/LocalDB")).body.parkedRows === 1);

    // ---- Live counters ---------------------------------------------------------------------
    await page.goto(base + "/console/#/counters");
    await page.waitForSelector("#outcome-counters .counter");
    await page.waitForSelector("#hub-counters .counter");
    check("live counters show outcomes", (await text("#outcome-counters")).includes("MANUAL"));
    // The second poll of /metrics (5 s later) gives each counter its rate.
    await page.waitForFunction(() => [...document.querySelectorAll("#outcome-counters .rate")].some((e) => e.textContent.endsWith("/s")));
    check("and their rates", true);
    await shot("counters");

    // ---- A token refused (401) while a page is shown: its data cleared, back to sign-in -----
    await page.goto(base + "/console/#/conflicts/" + staleConflict);
    await page.waitForSelector("#take-incoming");
    await page.evaluate(() => sessionStorage.setItem("synchub.token", "revoked-" + Date.now()));
    await page.click("#take-incoming");
    check("after a 401 the shown data is cleared and sign-in is back", await waitOk(page.waitForFunction(() =>
      !document.getElementById("sign-in").hidden && document.getElementById("page").children.length === 0 &&
      document.getElementById("notice").textContent.includes("401"), { timeout: 5000 })));

    // ---- A reader sees everything and changes nothing --------------------------------------
    if (await page.$eval("#sign-in", (e) => e.hidden)) await page.click("#sign-out");
    await page.waitForSelector("#token");
    await page.type("#token", tokens.reader);
    await page.click("#sign-in-button");
    await page.waitForFunction(() => document.getElementById("role").textContent.startsWith("reader"));
    await page.goto(base + "/console/#/conflicts/" + staleConflict);
    await page.waitForSelector("#conflict-fields");
    check("a reader gets no resolve buttons", (await page.$("#resolve-actions")) === null && (await page.$("#read-only")) !== null);
    await page.goto(base + "/console/#/dead-letters");
    await page.waitForSelector("#dead-letters tbody tr");
    check("a reader gets no replay or discard buttons", (await page.$$("#dead-letters button")).length === 0);
    await page.goto(base + "/console/#/sources");
    await page.waitForSelector('#sources tr[data-source="Portal"]');
    check("a reader gets no priority editor or reload button", (await page.$$("#sources input, #sources button")).length === 0);
    // Were the page to offer a write anyway (a role flipped in the browser), the API refuses
    // it and the console says so.
    await page.evaluate(() => sessionStorage.setItem("synchub.role", "operator"));
    await page.evaluate(() => App.render());
    await page.waitForSelector("#priority-Portal");
    await page.click("#priority-Portal", { clickCount: 3 });
    await page.keyboard.type("2");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#source-result .problem");
    check("the API's 403 is shown clearly", (await text("#source-result .problem")).includes("HTTP 403"));
    check("and nothing changed", (await api("GET", "/api/sources/Portal")).body.priority === 7);
    await shot("reader-refused");
    await page.evaluate(() => sessionStorage.setItem("synchub.role", "reader"));

    // ---- Phone width: no horizontal overflow on any page -----------------------------------
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    for (const [name, hash, ready] of [
      ["conflicts", "#/conflicts", ".page-title"],
      ["conflict", "#/conflicts/" + staleConflict, "#conflict-fields"],
      ["dead-letters", "#/dead-letters/all", "#dead-letters"],
      ["sources", "#/sources", "#sources"],
      ["record", "#/records/client/CUST-004", "#timeline li"],
      ["counters", "#/counters", "#hub-counters .counter"]]) {
      await page.goto(base + "/console/" + hash);
      await page.waitForSelector(ready);
      const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      check("phone width (390 px): no horizontal overflow on " + name, widths[0] <= widths[1], widths.join(" > "));
      if (name === "conflict" || name === "sources" || name === "record") await shot("phone-" + name);
    }
  } finally {
    await browser.close();
  }
  check("no error in the browser's console (CSP violations included)", browserErrors.length === 0, browserErrors.join(" | "));
}

main().then(() => {
  console.log(failures === 0 ? "console browser test: PASSED" : "console browser test: " + failures + " FAILED");
  process.exit(failures === 0 ? 0 : 1);
}, (error) => {
  console.error("console browser test: ERROR " + (error && error.stack || error));
  process.exit(1);
});
