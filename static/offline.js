/* Reading with a weak signal. Everything here is an addition: without it the pages work as they are.
 *
 * - registers the service worker (/sw.js), which serves saved pages when there is no connection;
 * - "Save for offline reading" keeps a module's page and sections (and their images) in the
 *   "induction-saved" cache; nothing else personal is kept, and signing out empties it;
 * - "Next" pressed offline keeps the read on this device, under a statement id made here, and
 *   goes on to the saved next page; queued reads are sent when the connection returns (sending
 *   one twice records nothing more: the server knows the id), and the page says what is waiting. */
(function () {
  "use strict";
  var SAVED = "induction-saved";
  var QUEUE = "induction-offline-reads";
  var OWNER = "induction-offline-owner";
  var body = document.body;
  var user = body.getAttribute("data-user"); // "" when signed out; null on pages not from the server

  function store(key, value) {
    try {
      if (value === null) { localStorage.removeItem(key); } else { localStorage.setItem(key, value); }
    } catch (e) { /* storage refused (private mode, full): nothing is queued or remembered */ }
  }
  function load(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function queue() {
    try { return JSON.parse(load(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function mine(entries) {
    return entries.filter(function (entry) { return entry.user === user; });
  }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function forgetSaved() {
    store(OWNER, null);
    if (!window.caches) { return Promise.resolve(); }
    return Promise.all([caches.delete(SAVED), caches.delete("induction-pending")]);
  }

  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* offline reading is unavailable */ });
  }
  // Saved pages belong to the person who saved them: gone once someone else, or no one, is signed in.
  var owner = load(OWNER);
  if (user === "" || (user && owner && owner !== user)) { forgetSaved(); }

  var signOut = document.querySelector('form[action$="/sign-out"]');
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      event.preventDefault();
      forgetSaved().then(function () { signOut.submit(); }, function () { signOut.submit(); });
    });
  }

  // -- what is waiting to be sent -------------------------------------------------------
  var notice = document.querySelector("[data-offline-queue]");
  function say(text, kind) {
    if (!notice) { return; }
    notice.textContent = text;
    notice.className = text ? "notice notice-" + (kind || "info") : "";
  }
  function showQueue() {
    var waiting = mine(queue()).length;
    if (!navigator.onLine) {
      say("You are offline. " + (waiting ? plural(waiting, "section read is", "section reads are") +
        " waiting to be sent. " : "") + "Sections you finish are kept on this device and sent when you are back online.",
        "warning");
    } else if (waiting) {
      say(plural(waiting, "section read is", "section reads are") + " waiting to be sent.", "warning");
    }
  }

  // -- sending queued reads ---------------------------------------------------------------
  function token() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }
  function freshToken() {
    return fetch("/", {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      return response.text();
    }).then(function (html) {
      var found = /name="csrf_token"[^>]*value="([^"]+)"/.exec(html);
      return found ? found[1] : "";
    });
  }
  function post(entry, csrf) {
    var data = new URLSearchParams();
    data.set("csrf_token", csrf);
    data.set("statement_id", entry.id);
    return fetch(entry.action, {
      method: "POST", body: data, credentials: "same-origin", headers: {"Accept": "application/json"}
    });
  }
  function drop(id) {
    store(QUEUE, JSON.stringify(queue().filter(function (entry) { return entry.id !== id; })));
  }

  function sendOne(entry, csrf, retried) {
    return post(entry, csrf).then(function (response) {
      if (response.redirected) { throw new Error("signed-out"); } // sent to the sign-in page
      if (response.ok) { drop(entry.id); return "sent"; }
      if (response.status === 400 && !retried) { // most likely a form token from an older sign-in
        return freshToken().then(function (fresh) { return sendOne(entry, fresh, true); });
      }
      drop(entry.id); // refused for good (a section that no longer exists, another account)
      return "refused";
    });
  }

  function sendAll() {
    var entries = mine(queue());
    if (!user || !entries.length || !navigator.onLine) { showQueue(); return Promise.resolve(); }
    var sent = 0;
    var refused = 0;
    var chain = Promise.resolve();
    entries.forEach(function (entry) {
      chain = chain.then(function () {
        return sendOne(entry, token(), false).then(function (outcome) {
          if (outcome === "sent") { sent += 1; } else { refused += 1; }
        });
      });
    });
    return chain.then(function () {
      say(sent ? "Sent: " + plural(sent, "section", "sections") + " you read offline. Your progress is up to date." +
        (refused ? " " + plural(refused, "read was", "reads were") + " refused." : "") :
        plural(refused, "read was", "reads were") + " refused by the site and not recorded.", refused ? "warning" : "success");
    }, function (error) {
      if (error && error.message === "signed-out") {
        say(plural(mine(queue()).length, "section read is", "section reads are") +
          " waiting to be sent. Sign in again to send them.", "warning");
      } else { // the connection dropped again: try when it returns, or in a while if it only seems up
        showQueue();
        window.setTimeout(sendOnce, 15000);
      }
    });
  }

  function sendOnce() {
    if (navigator.locks) { return navigator.locks.request("induction-offline-send", sendAll); }
    return sendAll();
  }

  // -- "Next" without a connection -----------------------------------------------------------
  function hidden(form, name, value) {
    var field = form.querySelector('input[name="' + name + '"]') || document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.appendChild(field);
  }
  function enqueue(id, action) {
    var entries = queue();
    var already = entries.some(function (entry) { return entry.user === user && entry.action === action; });
    if (!already) {
      entries.push({id: id, action: action, user: user, at: new Date().toISOString()});
      store(QUEUE, JSON.stringify(entries));
    }
  }
  function takePending() { // reads the service worker kept when "Next" failed on the network
    if (!user || !window.caches) { return Promise.resolve(); }
    return caches.has("induction-pending").then(function (any) {
      return any ? caches.open("induction-pending") : null;
    }).then(function (cache) {
      if (!cache) { return null; }
      return cache.keys().then(function (keys) {
        return Promise.all(keys.map(function (key) {
          return cache.match(key).then(function (found) { return found.json(); }).then(function (read) {
            enqueue(read.id, new URL(read.action, location.href).href);
            return cache.delete(key);
          });
        }));
      });
    });
  }
  var next = document.querySelector("form[data-offline-next]");
  if (next && window.crypto && crypto.randomUUID) {
    next.addEventListener("submit", function (event) {
      var id = crypto.randomUUID();
      if (navigator.onLine) { // sent now, as without this script; kept by the worker if the network fails
        hidden(next, "statement_id", id);
        hidden(next, "offline_next", next.getAttribute("data-offline-next"));
        return;
      }
      event.preventDefault();
      enqueue(id, next.action);
      window.location.href = next.getAttribute("data-offline-next");
    });
  }

  // -- saving a module for offline reading ---------------------------------------------------
  var saver = document.querySelector("[data-offline-save]");
  function media(html) {
    var found = [];
    var pattern = /src="(\/content-media\/[^"]+)"/g;
    var match;
    while ((match = pattern.exec(html)) !== null) { found.push(match[1].replace(/&amp;/g, "&")); }
    return found;
  }
  function savePages(cache, urls) {
    return Promise.all(urls.map(function (url) {
      return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("not saved: " + url); }
        return response.clone().text().then(function (html) {
          return Promise.all([cache.put(url, response)].concat(media(html).map(function (src) {
            return cache.add(src);
          })));
        });
      });
    }));
  }
  if (saver && user && window.caches && "serviceWorker" in navigator) {
    var pages = saver.getAttribute("data-pages").split(" ");
    var status = saver.querySelector("[data-offline-saved]");
    var saveButton = saver.querySelector('[data-offline-action="save"]');
    var removeButton = saver.querySelector('[data-offline-action="remove"]');
    var showSaved = function (saved, text) {
      status.textContent = text || (saved ? "This module is saved on this device for reading offline. " +
        "Saved pages are removed when you sign out." : "");
      saveButton.textContent = saved ? "Update the saved copy" : "Save for offline reading";
      removeButton.parentNode.hidden = !saved;
    };
    saver.hidden = false;
    caches.match(pages[0], {cacheName: SAVED}).then(function (found) {
      showSaved(Boolean(found && load(OWNER) === user));
    });
    saveButton.addEventListener("click", function () {
      saveButton.disabled = true;
      status.textContent = "Saving…";
      caches.open(SAVED).then(function (cache) {
        return savePages(cache, pages).then(function () { store(OWNER, user); });
      }).then(function () {
        showSaved(true, "Saved: this module and its " + plural(pages.length - 1, "section", "sections") +
          " can now be read without a connection. Saved pages are removed when you sign out.");
      }, function () {
        showSaved(false, "The module could not be saved. Check your connection and try again.");
      }).then(function () { saveButton.disabled = false; });
    });
    removeButton.addEventListener("click", function () {
      caches.open(SAVED).then(function (cache) {
        return Promise.all(pages.map(function (url) { return cache.delete(url); }));
      }).then(function () { showSaved(false, "The saved copy of this module has been removed from this device."); });
    });
  }

  window.addEventListener("online", sendOnce);
  window.addEventListener("offline", showQueue);
  takePending().then(sendOnce, sendOnce);
}());
