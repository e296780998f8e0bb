/* The service worker: served as /sw.js so that its scope is the whole site.
 *
 * Pages are personal and sent with Cache-Control: no-store, so none is kept unless the learner
 * saved its module for offline reading (offline.js puts those pages in the SAVED cache and
 * empties it on sign-out). The site's own static files are not personal and are kept so that
 * saved pages still look right offline. Requests other than GET go to the network; only a
 * section's "Next" is kept here when the network fails (keepRead). */
"use strict";

var STATIC = "induction-static-v1";
var SAVED = "induction-saved";
var PENDING = "induction-pending"; // reads kept by the worker, until offline.js queues them
var PRECACHE = [
  "/static/site.css", "/static/narrow.js", "/static/offline.js",
  "/static/offline.html", "/static/icons/icon-192.png"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(PRECACHE); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("induction-static-") === 0 && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function isStatic(url) {
  return url.pathname.indexOf("/static/") === 0;
}

function refreshSaved(request, response) {
  /* A saved page fetched again online replaces the saved copy (fresh ticks and form token);
   * a page that was not saved is never stored. */
  if (!response.ok || response.redirected) { return; }
  var copy = response.clone();
  caches.has(SAVED).then(function (any) { // (opening the cache would make an empty one)
    if (!any) { return; }
    return caches.open(SAVED).then(function (cache) {
      return cache.match(request, {ignoreSearch: true}).then(function (old) {
        if (old) { return cache.put(request, copy); }
      });
    });
  });
}

function keepRead(request, url) {
  /* "Next" sent on a connection that claims to be up but carries nothing: keep the read (the
   * page gave it a statement id) for offline.js to queue, and go on to the saved next page. */
  return request.clone().formData().then(function (form) {
    return fetch(request).catch(function (error) {
      var id = form.get("statement_id");
      var next = form.get("offline_next");
      if (!id || !next || next.charAt(0) !== "/" || next.charAt(1) === "/") { throw error; }
      var body = JSON.stringify({id: id, action: url.pathname});
      return caches.open(PENDING).then(function (cache) {
        return cache.put("/offline-pending/" + encodeURIComponent(id), new Response(body));
      }).then(function () { return Response.redirect(next, 303); });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && request.mode === "navigate" && /^\/modules\/[^/]+\/[^/]+\/read$/.test(url.pathname)) {
    event.respondWith(keepRead(request, url));
    return;
  }
  if (request.method !== "GET") { return; }
  if (isStatic(url)) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(STATIC).then(function (cache) { return cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request, {ignoreSearch: true}).then(function (found) {
        return found || Response.error();
      });
    }));
    return;
  }
  event.respondWith(fetch(request).then(function (response) {
    refreshSaved(request, response);
    return response;
  }).catch(function () {
    return caches.match(request, {ignoreSearch: true, cacheName: SAVED}).then(function (found) {
      if (found) { return found; }
      if (request.mode === "navigate") { return caches.match("/static/offline.html"); }
      return Response.error();
    });
  }));
});
