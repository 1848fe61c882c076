// The browser test of interactive mode: starts `bbh serve --interactive --addr 127.0.0.1:0`,
// drives Chromium through authorize → login page → consent page → the app's callback (hosted
// here on a loopback port), exchanges the code and calls the FHIR API with the token.
//
// Usage: node interactive.mjs PATH/TO/bbh   (CHROMIUM overrides /usr/bin/chromium)

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const CLIENT_ID = 'swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2';
const CLIENT_SECRET = 'bbh-sandbox-secret';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

const started = Date.now();
function step(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

/** Starts bbh; resolves with its base URL, read from the first stdout line. */
function startBbh(binary) {
  const child = spawn(binary, ['serve', '--interactive', '--addr', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bbh exited early with code ${code}`)));
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const match = /^bbh listening on (http:\/\/\S+)$/.exec(line);
      if (match) resolve(match[1]);
      else reject(new Error(`unexpected first line from bbh: ${line}`));
    });
  });
  return { child, url };
}

/** The app's callback on a loopback port: every request's query is handed to the waiter. */
async function startCallback() {
  const waiters = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!DOCTYPE html><html lang="en"><title>Callback</title><h1>Back in the app</h1></html>');
    if (url.pathname === '/callback') waiters.shift()?.(url.searchParams);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const redirectUri = `http://127.0.0.1:${server.address().port}/callback`;
  const next = () => new Promise((resolve) => waiters.push(resolve));
  return { server, redirectUri, next };
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

async function journey(page, base, callback, { password, share, allow, wrongPasswordFirst }) {
  const state = randomBytes(16).toString('hex');
  const { verifier, challenge } = pkce();
  const authorize = new URL('/v2/o/authorize/', base);
  authorize.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: callback.redirectUri,
    response_type: 'code',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  const arrived = callback.next();
  await page.goto(authorize.toString());
  assert.equal(new URL(page.url()).pathname, '/mymedicare/login', 'authorize leads to the login page');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.getByRole('heading', { level: 1, name: /Log in/ }).waitFor();
  await page.getByRole('main').waitFor();
  if (wrongPasswordFirst) {
    await page.getByLabel('Username').fill('BBUser29999');
    await page.getByLabel('Password').fill('PW00000!');
    await page.getByRole('button', { name: 'Log in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /incorrect/, 'a wrong password shows an error');
    step('wrong password: error shown');
  }
  await page.getByLabel('Username').fill('BBUser29999');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/v2\/o\/authorize\/[0-9a-f-]{36}\/\?/);
  await page.getByRole('heading', { level: 1, name: /Allow .* to access your Medicare data\?/ }).waitFor();
  const shareYes = page.getByLabel('Share healthcare data and personal information');
  assert.equal(await shareYes.isChecked(), true, 'sharing everything is the default selection');
  step('consent page shown');
  if (!share) await page.getByLabel('Share healthcare data, but not personal information').check();
  await page.getByRole('button', { name: allow ? 'Allow' : 'Deny' }).click();
  const params = await arrived;
  await page.waitForURL((url) => url.toString().startsWith(callback.redirectUri));
  assert.equal(params.get('state'), state, 'the callback carries the state sent');
  return { params, verifier };
}

async function exchange(base, redirectUri, code, verifier) {
  const response = await fetch(new URL('/v2/o/token/', base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, `token exchange: ${JSON.stringify(body)}`);
  return body;
}

async function fhirStatus(base, path, token) {
  const response = await fetch(new URL(path, base), { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

async function main() {
  const binary = process.argv[2];
  if (!binary) throw new Error('usage: node interactive.mjs PATH/TO/bbh');
  const bbh = startBbh(binary);
  const callback = await startCallback();
  const profile = await mkdtemp(join(tmpdir(), 'bbh-chromium-'));
  let context;
  try {
    const base = await bbh.url;
    step(`bbh at ${base}`);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    step(`Chromium ${context.browser()?.version() ?? ''} started`);

    const page = await context.newPage();
    const withheld = await journey(page, base, callback, {
      password: 'PW29999!', share: false, allow: true, wrongPasswordFirst: true,
    });
    const code = withheld.params.get('code');
    assert.ok(code, 'the callback carries a code');
    const token = await exchange(base, callback.redirectUri, code, withheld.verifier);
    assert.equal(token.patient, '-20140000008325');
    assert.equal(await fhirStatus(base, '/v2/fhir/Patient/', token.access_token), 403,
      'withheld demographics: Patient is 403');
    assert.equal(await fhirStatus(base, '/v2/fhir/ExplanationOfBenefit/?_count=1', token.access_token), 200);
    step('demographics withheld: code exchanged, Patient 403, EOB 200');

    const shared = await journey(page, base, callback, { password: 'PW29999!', share: true, allow: true });
    const sharedToken = await exchange(base, callback.redirectUri, shared.params.get('code'), shared.verifier);
    assert.equal(await fhirStatus(base, '/v2/fhir/Patient/', sharedToken.access_token), 200,
      'shared demographics: Patient is 200');
    step('demographics shared: Patient 200');

    const denied = await journey(page, base, callback, { password: 'PW29999!', share: true, allow: false });
    assert.equal(denied.params.get('error'), 'access_denied');
    assert.equal(denied.params.get('code'), null);
    step('denied: error=access_denied');
    console.log('browser test passed');
  } finally {
    await context?.close().catch(() => {});
    bbh.child.kill('SIGTERM');
    callback.server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`browser test FAILED: ${error.stack || error}`);
  process.exit(1);
});
