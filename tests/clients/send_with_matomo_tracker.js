// Drives the npm package `matomo-tracker` (pinned in package.json beside this file) against
// the collector, as a site's server would: forwarding its visitor's cookies and user agent.
// Usage: node send_with_matomo_tracker.js '<json>' with
//   {"tracker": "http://…/matomo.php", "site": 1, "cookie": "collector_consent=1; …",
//    "userAgent": "…", "single": [{…}], "bulk": [{…}, …]}
// Prints one JSON line: {"bulk": "<the collector's answer>"}; exits 1 on any error.
'use strict';
const http = require('http');
const MatomoTracker = require('matomo-tracker');

const job = JSON.parse(process.argv[2]);
const tracker = new MatomoTracker(job.site, job.tracker);

// matomo-tracker has no option for request headers; server-side use needs the visitor's
// Cookie header (consent is always the visitor's), so wrap the agent it calls.
const headers = { Cookie: job.cookie, 'User-Agent': job.userAgent };
// `agent: false` closes each connection, so node exits as soon as the answers are in.
tracker.agent = {
  get: (url, callback) => http.get(url, { headers, agent: false }, (res) => {
    callback(res);
    res.resume();
  }),
  request: (options, callback) => http.request(
    { ...options, headers: { ...options.headers, ...headers }, agent: false }, callback),
};

let failed = false;
tracker.on('error', (err) => {
  failed = true;
  console.error('matomo-tracker error:', err);
});
process.on('exit', () => { if (failed) process.exitCode = 1; });

for (const options of job.single) tracker.track(options);
if (job.bulk.length) {
  tracker.trackBulk(job.bulk, (answer) => console.log(JSON.stringify({ bulk: answer })));
}
