// GraphiQL in headless Chromium with no network beyond loopback: the page renders from the
// gateway's own files under its CSP, the banner points to sign-in, a bearer token pasted in
// the Headers pane is used for the schema and for queries. Run by ../graphiql-browser.sh:
//   KEYCARE_URL=http://127.0.0.1:PORT KEYCARE_TOKEN=... node graphiql.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.KEYCARE_URL;
const token = process.env.KEYCARE_TOKEN;
const shots = process.env.SCREENSHOT_DIR || tmpdir();
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !token) throw new Error('KEYCARE_URL and KEYCARE_TOKEN are needed');

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

const profile = mkdtempSync(join(tmpdir(), 'keycare-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});

// Nothing but the gateway on loopback: any other request is refused and counted.
const outside = [];
await context.route('**/*', (route) => {
  const url = new URL(route.request().url());
  if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return route.continue();
  outside.push(url.href);
  return route.abort();
});

const page = context.pages()[0] || (await context.newPage());
const problems = [];
page.on('console', (m) => {
  if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
// Failed loads, by URL. Expected: 401 from /graphql while signed out, and the demo council's
// sign-in route (the demo's development issuer is not a browser sign-in provider).
const failedLoads = [];
page.on('response', (res) => {
  const url = new URL(res.url());
  if (res.status() < 400 || url.pathname.startsWith('/auth/')) return;
  if (res.status() === 401 && url.pathname === '/graphql') return;
  failedLoads.push(`${res.status()} ${url.pathname}`);
});
// Introspection requests: with which Authorization, answered how.
const introspections = [];
page.on('response', async (res) => {
  const req = res.request();
  if (req.method() !== 'POST' || !req.url().endsWith('/graphql')) return;
  const body = req.postData() || '';
  if (!body.includes('__schema')) return;
  const headers = await req.allHeaders();
  introspections.push({ authorization: headers.authorization || '', status: res.status() });
});

const started = Date.now();
const codeMirror = (selector) =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return el && el.CodeMirror ? el.CodeMirror.getValue() : null;
  }, selector);
const HEADERS = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const RESPONSE = '.graphiql-response .CodeMirror';

// 0. Signed out, no council named: the banner asks for it and sends the browser to its sign-in.
await page.goto(`${base}/graphql`);
await page.waitForSelector('#keycare-council-slug', { state: 'visible', timeout: 15000 });
await page.fill('#keycare-council-slug', 'northshire');
const [login] = await Promise.all([
  page.waitForRequest((r) => r.url().includes('/auth/')),
  page.click('#keycare-council button'),
]);
check(
  login.url() === `${base}/auth/northshire/login?redirect=%2Fgraphql%3Fcouncil%3Dnorthshire`,
  `the council field leads to its sign-in: ${login.url()}`,
);

// 1. Signed out, the council named in the URL.
await page.goto(`${base}/graphql?council=northshire`);
await page.waitForSelector('.graphiql-container', { timeout: 15000 });
check(true, `GraphiQL rendered (${Date.now() - started} ms)`);
await page.waitForSelector('#keycare-banner:not([hidden])', { timeout: 10000 });
const loading = await page.evaluate(() => document.body.innerText.includes('Loading GraphiQL'));
check(!loading, 'no "Loading" text left');
const link = await page.getAttribute('#keycare-sign-in', 'href');
check(
  link === '/auth/northshire/login?redirect=%2Fgraphql%3Fcouncil%3Dnorthshire',
  `banner links to the council's sign-in: ${link}`,
);
check(
  (await page.isVisible('#keycare-signed-out')) &&
    (await page.innerText('#keycare-banner')).includes('Authorization'),
  'banner says "Not signed in" with the bearer-token hint',
);
await page.screenshot({ path: join(shots, 'keycare-graphiql-signed-out.png') });

// 2. A bearer token pasted in the Headers pane: the schema is fetched again with it.
await page.waitForSelector(HEADERS, { timeout: 5000 });
const before = introspections.length;
await page.evaluate(
  ([sel, value]) => document.querySelector(sel).CodeMirror.setValue(value),
  [HEADERS, JSON.stringify({ Authorization: `Bearer ${token}` })],
);
await page.waitForFunction(
  () => document.getElementById('keycare-who').textContent.startsWith('Signed in as'),
  null,
  { timeout: 10000 },
);
check(true, `banner: ${await page.innerText('#keycare-who')}`);
for (let i = 0; i < 50 && introspections.length === before; i++) await page.waitForTimeout(100);
const again = introspections.slice(before);
check(
  again.some((r) => r.authorization.startsWith('Bearer ') && r.status === 200),
  `schema fetched again with the token: ${JSON.stringify(again.map((r) => [r.authorization.slice(0, 12), r.status]))}`,
);

// 3. A query run from the editor with the token.
await page.evaluate(() => {
  document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ me { name } }');
});
// GraphiQL works out the operation's name from the editor a moment after an edit.
await page.waitForTimeout(500);
await page.click('.graphiql-execute-button');
let answer = '';
for (let i = 0; i < 100 && !answer.includes('"me"'); i++) {
  await page.waitForTimeout(100);
  answer = (await codeMirror(RESPONSE)) || '';
}
let me = null;
try {
  me = JSON.parse(answer).data.me.name;
} catch {}
check(Boolean(me), `{ me { name } } answered: ${answer.replace(/\s+/g, ' ')}`);
await page.screenshot({ path: join(shots, 'keycare-graphiql-signed-in.png') });

// 3b. A subscription over the same-origin WebSocket (CSP connect-src 'self'), the token going
// in connection_init.
await page.evaluate(() => {
  document
    .querySelector('.graphiql-query-editor .CodeMirror')
    .CodeMirror.setValue('subscription { sessionExpiresIn }');
});
await page.waitForTimeout(500);
await page.click('.graphiql-execute-button');
answer = '';
for (let i = 0; i < 100 && !/"sessionExpiresIn": \d+/.test(answer); i++) {
  await page.waitForTimeout(100);
  answer = (await codeMirror(RESPONSE)) || '';
}
check(/"sessionExpiresIn": \d+/.test(answer), `subscription over /graphql/ws: ${answer.replace(/\s+/g, ' ')}`);
await page.click('.graphiql-execute-button'); // stop it

// 3c. The rest of GraphiQL's interface under the policy (no inline styles allowed): the
// documentation explorer, autocompletion, the settings dialog.
await page.click('.graphiql-sidebar-section button[aria-label*="Documentation Explorer"]');
await page.waitForSelector('.graphiql-doc-explorer', { timeout: 5000 });
await page.click('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name');
await page.waitForFunction(
  () => document.querySelector('.graphiql-doc-explorer-title')?.textContent === 'Query',
  null,
  { timeout: 5000 },
);
const fields = await page.$$eval('.graphiql-doc-explorer-field-name', (els) => els.length);
check(fields > 5, `documentation explorer lists the Query type's ${fields} fields`);
await page.evaluate(() => {
  const cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
  cm.setValue('{\n  me {\n    \n  }\n}');
  cm.setCursor({ line: 2, ch: 4 });
  cm.focus();
});
await page.keyboard.type('na');
const hint = await page
  .waitForSelector('.CodeMirror-hints li', { timeout: 5000 })
  .then((el) => el.innerText())
  .catch(() => '');
check(hint.includes('name'), `autocompletion offers: ${hint}`);
await page.screenshot({ path: join(shots, 'keycare-graphiql-docs.png') });
await page.keyboard.press('Escape');
await page.click('button[aria-label="Open settings dialog"]');
await page.waitForSelector('.graphiql-dialog', { timeout: 5000 });
check(await page.isVisible('.graphiql-dialog'), 'settings dialog opens');
await page.keyboard.press('Escape');

// 4. Reloaded: the tab's headers are kept, and the first introspection carries them.
const beforeReload = introspections.length;
await page.reload();
await page.waitForSelector('.graphiql-container', { timeout: 15000 });
for (let i = 0; i < 50 && introspections.length === beforeReload; i++) await page.waitForTimeout(100);
const first = introspections[beforeReload];
check(
  Boolean(first && first.authorization.startsWith('Bearer ') && first.status === 200),
  `after a reload the first schema fetch carries the token: ${JSON.stringify(first && [first.authorization.slice(0, 12), first.status])}`,
);
await page.waitForSelector('.graphiql-doc-explorer-title, .graphiql-sidebar', { timeout: 5000 });
const schemaError = await page.evaluate(() => document.body.innerText.includes('Error fetching schema'));
check(!schemaError, 'no "Error fetching schema"');

// Control: the policy is in force and its refusals are seen (this one is on purpose).
const seen = problems.length;
await page.evaluate(() => fetch('https://cdn.example/graphiql.js').catch(() => null));
await page.waitForTimeout(300);
check(
  problems.slice(seen).some((p) => /Content Security Policy/.test(p)),
  'control: a fetch to another origin is refused by the page\'s CSP',
);
problems.length = seen;

check(outside.length === 0, `no request beyond loopback: ${JSON.stringify(outside)}`);
check(failedLoads.length === 0, `every file and request answered: ${JSON.stringify(failedLoads)}`);
// Failed loads show in the console too; they are checked above, by URL.
const unexpected = problems.filter((p) => !/^Failed to load resource/.test(p));
check(unexpected.length === 0, `no CSP violation or script error: ${JSON.stringify(unexpected)}`);

await context.close();
rmSync(profile, { recursive: true, force: true });
console.log(`screenshots: ${shots}/keycare-graphiql-{signed-out,signed-in,docs}.png`);
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
