/* The service worker: served as /sw.js so that its scope is the whole site.
 *
 * Pages are personal and sent with Cache-Control: no-store, so none is kept unless the learner
 * saved its module for offline reading (offline.js puts those pages in the SAVED cache and
 * empties it on sign-out). The site's own static files are not personal and are kept so that
 * saved pages still look right offline. Requests other than GET always go to the network. */
"use strict";

var STATIC = "induction-static-v1";
var SAVED = "induction-saved";
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
  caches.open(SAVED).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (old) {
      if (old) { return cache.put(request, copy); }
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
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
    return caches.open(SAVED).then(function (cache) {
      return cache.match(request, {ignoreSearch: true});
    }).then(function (found) {
      if (found) { return found; }
      if (request.mode === "navigate") { return caches.match("/static/offline.html"); }
      return Response.error();
    });
  }));
});
