// synchub console: sign-in and the hash router (#/conflicts, #/conflicts/ID, #/dead-letters[/STATUS],
// #/sources, #/records[/ENTITY/EXTERNAL_ID[/SEQ]], #/counters).
"use strict";

const App = (() => {
  const $ = (id) => document.getElementById(id);
  let cleanup = null;
  let renders = 0;  // each render draws into a view of its own: a slower earlier one never overwrites
  let pendingNotice = null;

  // A message shown above the next page rendered (and announced: role=status).
  function notify(text, bad) {
    pendingNotice = { text, bad: !!bad };
  }
  function showNotice() {
    const notice = $("notice");
    if (!pendingNotice) { notice.hidden = true; return; }
    notice.textContent = pendingNotice.text;
    notice.className = "notice" + (pendingNotice.bad ? " bad" : "");
    notice.hidden = false;
    pendingNotice = null;
  }

  function signedIn() {
    const role = Api.role();
    $("sign-in").hidden = !!role;
    $("nav").hidden = !role;
    $("who").hidden = !role;
    if (role) {
      $("role").textContent = role === "operator" ? "operator" : "reader (read-only)";
      $("role").className = "badge " + role;
    }
    return !!role;
  }

  async function render() {
    if (cleanup) { cleanup(); cleanup = null; }
    const page = $("page");
    const generation = ++renders;
    if (!signedIn()) {
      page.replaceChildren();
      showNotice();
      $("token").focus();
      return;
    }
    // A page still loading when the next render starts writes into its detached view, unseen.
    const view = document.createElement("div");
    page.replaceChildren(view);
    const parts = location.hash.replace(/^#\/?/, "").split("/").map((p) => { try { return decodeURIComponent(p); } catch (e) { return p; } });
    const name = parts[0] || "conflicts";
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.dataset.page === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    showNotice();
    try {
      if (name === "conflicts" && parts[1]) await Pages.conflict(view, parts[1]);
      else if (name === "conflicts") await Pages.conflicts(view);
      else if (name === "dead-letters") await Pages.deadLetters(view, parts[1]);
      else if (name === "sources") await Pages.sources(view);
      else if (name === "records") {
        await Pages.record(view, parts[1], parts[2]);
        if (generation !== renders) return;
        const target = parts[3] && document.getElementById("seq-" + parts[3]);
        if (target) { target.classList.add("target"); target.focus(); target.scrollIntoView({ block: "center" }); return; }
      } else if (name === "counters") cleanup = Pages.counters(view);
      else view.replaceChildren(Dom.h("p", {}, "No such page. ", Dom.h("a", { href: "#/conflicts" }, "Open conflicts")));
    } catch (error) {
      if (generation !== renders) return;
      if (!Api.role()) return;  // the token was refused (401): whenSignedOut showed sign-in
      view.replaceChildren(Dom.problem(error));
    }
    if (generation !== renders) return;
    const title = view.querySelector(".page-title");
    if (title && document.activeElement === document.body) title.focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const input = $("token");
    const error = $("sign-in-error");
    error.hidden = true;
    const button = $("sign-in-button");
    button.disabled = true;
    try {
      const role = await Api.signIn(input.value.trim());
      input.value = "";
      notify("Signed in as " + role + ".");
      if (!location.hash || location.hash === "#") location.hash = "#/conflicts";
      else render();
    } catch (e) {
      error.textContent = e.status === 403
        ? "This token may not read the hub's operations (a source's token?): use an operator or reader token."
        : e.status === 401 ? "The token is malformed, unknown or revoked." : e.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function start() {
    // A token refused (401: revoked, expired) on any call: clear what is shown at once and
    // return to sign-in; the page's own answer to the refusal lands in a detached element.
    Api.whenSignedOut(() => {
      notify("Signed out: the hub refused the token (HTTP 401: revoked or unknown). Sign in again.", true);
      render();  // signed out: clears the page, shows the notice and the sign-in form
    });
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => {
      Api.signOut();
      notify("Signed out.");
      render();
    });
    window.addEventListener("hashchange", render);
    render();
  }

  return { start, render, notify };
})();

document.addEventListener("DOMContentLoaded", App.start);
