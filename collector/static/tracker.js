/*! collector tracker.js: first-party, cookie-free on its side, consent-aware.
 *
 * Snippet:  <script defer src="https://COLLECTOR/tracker.js" data-site="ID"></script>
 * Options (data-* attributes on that script tag):
 *   data-site               site id (required)
 *   data-consent-cookies    cookie names that mean opt-in
 *                           (default "collector_consent,mtm_consent,mtm_cookie_consent")
 *   data-require-consent    "false" skips the client-side cookie check. Use it when the consent
 *                           cookie is HttpOnly or set on another host: the script cannot see it
 *                           then, but the browser still sends it and the collector still decides.
 *   data-downloads          file extensions counted as downloads (comma-separated)
 *   data-heartbeat          seconds between time-on-page pings while the tab is visible; 0 = off
 * API: collector.pageview(), collector.event(category, action, name?, value?),
 *      collector.goal(id, revenue?)  converts goal `id` by hand (Matomo's trackGoal)
 *
 * It sets no cookie, reads no identifier and keeps nothing between pages. It reads
 * document.cookie only to skip requests the collector would not keep without consent.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.collector) return;

  function option(name, fallback) {
    var value = script.getAttribute('data-' + name);
    return value === null ? fallback : value;
  }
  function list(value) {
    return value.split(',').map(function (s) { return s.trim().toLowerCase(); }).filter(Boolean);
  }

  var site = option('site', '');
  var endpoint = new URL(script.src).origin + '/matomo.php';
  // collector_consent always counts (the collector's /optin sets it), as on the server.
  var consentNames = list(option('consent-cookies', 'collector_consent,mtm_consent,mtm_cookie_consent'))
    .concat('collector_consent');
  var vetoes = ['collector_optout', 'mtm_consent_removed'];
  var checkConsent = option('require-consent', 'true') !== 'false';
  var downloads = list(option('downloads',
    '7z,aac,apk,csv,dmg,doc,docx,epub,exe,gz,iso,mp3,mp4,odp,ods,odt,pdf,ppt,pptx,rar,tar,tgz,txt,xls,xlsx,xml,zip'));
  var heartbeat = Number(option('heartbeat', '15')) * 1000;
  // Values the collector reads as "no" (collector/tracking/consent.py): keep in step.
  var refusals = ['', '0', 'false', 'no', 'off', 'null', 'undefined'];

  var pageUrl = location.href;
  var referrer = document.referrer;
  var pageViewId = '';
  var timer = 0;

  function cookieSet(names) {
    return document.cookie.split(';').some(function (pair) {
      var at = pair.indexOf('=');
      var name = pair.slice(0, at).trim().toLowerCase();
      var value = pair.slice(at + 1).trim().toLowerCase();
      return at > 0 && names.indexOf(name) >= 0 && refusals.indexOf(value) < 0;
    });
  }
  function consented() {
    return !checkConsent || (cookieSet(consentNames) && !cookieSet(vetoes));
  }

  function send(params) {
    if (!site || !consented()) return;
    params.idsite = site;
    params.rec = 1;
    params.url = pageUrl;
    params.pv_id = pageViewId;
    params.send_image = 0;
    var body = Object.keys(params).filter(function (key) {
      return params[key] !== undefined && params[key] !== '';
    }).map(function (key) {
      return encodeURIComponent(key) + '=' + encodeURIComponent(params[key]);
    }).join('&');
    var type = 'application/x-www-form-urlencoded';
    // A beacon survives the page being left; the collector answers it with CORS for the
    // site's own hosts, so its cookies (consent, session) travel with it.
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: type }))) return;
    if (window.fetch) {
      fetch(endpoint, {
        method: 'POST', body: body, keepalive: true, credentials: 'include',
        headers: { 'Content-Type': type }
      }).catch(function () {});
      return;
    }
    new Image().src = endpoint + '?' + body.replace('send_image=0', 'send_image=1');
  }

  function pageview() {
    pageViewId = Math.random().toString(36).slice(2, 8);
    send({ action_name: document.title, urlref: referrer, res: screen.width + 'x' + screen.height });
    restartHeartbeat();
  }

  function event(category, action, name, value) {
    send({ e_c: category, e_a: action, e_n: name, e_v: value, ca: 1 });
  }

  // A goal converted by hand, as Matomo's trackGoal sends it: idgoal, and revenue if given.
  function goal(id, revenue) {
    send({ idgoal: id, revenue: revenue });
  }

  // Time on page: a ping every `heartbeat` ms, only while the tab is visible.
  function restartHeartbeat() {
    clearInterval(timer);
    timer = 0;
    if (heartbeat > 0 && document.visibilityState === 'visible') {
      timer = setInterval(function () { send({ ping: 1 }); }, heartbeat);
    }
  }
  document.addEventListener('visibilitychange', restartHeartbeat);

  // Single-page apps: a new history entry is a new page view.
  function navigated() {
    if (location.href === pageUrl) return;
    referrer = pageUrl;
    pageUrl = location.href;
    pageview();
  }
  ['pushState', 'replaceState'].forEach(function (method) {
    var original = history[method];
    history[method] = function () {
      var result = original.apply(this, arguments);
      navigated();
      return result;
    };
  });
  window.addEventListener('popstate', navigated);

  // Outlinks (another host) and downloads (by extension or a download attribute).
  function clicked(e) {
    var link = e.target.closest && e.target.closest('a[href]');
    if (!link || !/^https?:$/.test(link.protocol)) return;
    var file = link.pathname.split('/').pop();
    var extension = file.indexOf('.') > 0 ? file.split('.').pop().toLowerCase() : '';
    if (link.hasAttribute('download') || (extension && downloads.indexOf(extension) >= 0)) {
      send({ download: link.href });
    } else if (link.hostname !== location.hostname) {
      send({ link: link.href });
    }
  }
  document.addEventListener('click', clicked, true);
  document.addEventListener('auxclick', clicked, true);

  window.collector = { pageview: pageview, event: event, goal: goal };
  pageview();
})();
