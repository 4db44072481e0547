// The demo page: one Gotalk connection to the server that this page both calls and serves, both
// through contracts (contract.ts, loaded as /contract.js): the page calls `demoServer` through a
// typed proxy and implements `demoPage`, which the server calls.
/* global gotalk, demoContracts */
const $ = (id) => document.getElementById(id);
const names = ['Ada', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Edsger', 'Frances'];
const me = `${names[Math.floor(Math.random() * names.length)]}-${Math.floor(Math.random() * 90 + 10)}`;
$('name').value = me;

// The client reconnects by itself and keeps its handlers across reconnects.
const client = gotalk.connect(undefined, { heartbeatInterval: 1000 });
// The server's operations, checked by the contract's schemas on the way back.
const api = gotalk.createProxy(client, demoContracts.demoServer);
// What the server calls on this page: its question and the broadcasts (functions further down).
client.handlers.implement(demoContracts.demoPage, {
  ask: answerQuestion,
  chat: showChat,
  answers: showAnswers,
  rosterChanges: applyRosterChanges,
  pong: () => {},
});
window.demo = { client, api, me };
// The name the server knows this page by: `me`, or `me (2)` if another connection has it.
let myName = me;

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status-text').textContent = text;
}
// Resolves once this connection has said hello: chat waits for it, so that a line typed while
// offline goes out after the hello of the next connection, under this page's name (the client
// would otherwise send its queued request first, from a connection the server knows no name of).
let hello = waitForOpen();
function waitForOpen() {
  let done;
  const promise = new Promise((resolve) => (done = resolve));
  return { promise, done };
}
client.on('open', () => {
  setStatus('open', 'connected');
  // Saying hello makes this connection a page: the server counts it, lists it, and sends it
  // broadcasts only from then on. The answer holds the roster once; changes follow.
  const saying = hello;
  sayHello(me)
    .catch(() => sayHello(`${me}-${Math.random().toString(36).slice(2, 6)}`))
    .catch(() => {})
    .finally(() => saying.done());
  api.addresses(null).then(
    (addresses) => {
      const tcp = addresses.find((a) => a.startsWith('tcp://')) ?? addresses[0];
      if (!tcp) return;
      $('cli-listen').textContent = `npx --yes pnpm@10 gotalk listen ${tcp}`;
      $('cli-hint').textContent = `npx --yes pnpm@10 gotalk notify ${tcp} chat '{"from":"terminal","text":"hi"}'`;
    },
    () => {},
  );
  applyLoad();
});
/** Says hello as `name` (the server refuses a name taken many times over). */
async function sayHello(name) {
  const r = await api.hello({ name });
  myName = typeof r?.you === 'string' ? r.you : name;
  showRoster(r);
}
client.on('close', () => {
  setStatus('closed', 'disconnected');
  hello = waitForOpen();
});
client.on('reconnecting', ({ attempt, delay }) => setStatus('connecting', `reconnecting (#${attempt}, ${Math.round(delay)} ms)`));

// ---- browser → server: a typed request ----
$('greet-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = $('greet-result');
  const started = performance.now();
  try {
    const r = await api.greet({ name: $('name').value });
    out.className = 'result ok';
    out.innerHTML = `<div>${escape(r.greeting)}</div><div class="meta">${escape(r.servedBy)} · ${(performance.now() - started).toFixed(1)} ms</div>`;
  } catch (err) {
    out.className = 'result err';
    out.innerHTML = `<div>${escape(err.message)}</div><div class="meta">error result · code ${escape(err.code ?? '?')}</div>`;
  }
});

// ---- server → browser: this page serves `ask` ----
function answerQuestion(question) {
  $('asked-log').textContent = `The server asked this page “${asText(question)}” at ${new Date().toLocaleTimeString()} — answered.`;
  return $('status-answer').value || '(nothing to say)';
}
$('ask-btn').addEventListener('click', async () => {
  const btn = $('ask-btn');
  btn.disabled = true;
  try {
    await api.askPages($('question').value);
  } catch (err) {
    $('asked-log').textContent = err.message;
  } finally {
    btn.disabled = false;
  }
});
function showAnswers(value) {
  const answers = Array.isArray(value?.answers) ? value.answers : [];
  $('answers').innerHTML = answers
    .map(
      (a) =>
        `<tr><td>${escape(a.page)}${a.page === myName ? ' <span class="dim">(you)</span>' : ''}</td><td>${escape(a.error ? `⚠ ${a.error}` : a.answer)}</td><td>${Number(a.ms) || 0}</td></tr>`,
    )
    .join('');
  const count = Number(value?.count) || answers.length;
  $('asked-log').textContent =
    `“${asText(value?.question)}” — ${count} page${count === 1 ? '' : 's'} asked${count > answers.length ? `, the first ${answers.length} shown` : ''}.`;
}

// ---- streamed result with live progress ----
// A run the server is too busy for is answered with a retry result; the client waits as asked
// and tries again (up to PRIMES.retries times), and the page says so meanwhile.
const { PRIMES } = demoContracts;
let primesId = null;
// What the note says for the run under way while no retry is pending (a clamped limit, or nothing).
let primesNote = '';
client.onActivity((e) => {
  if (e.type === 'request' && e.dir === 'out' && e.op === 'primes') primesId = e.id;
  else if (e.type === 'reply' && e.dir === 'in' && e.id === primesId) {
    $('primes-note').textContent = e.kind === 'retry' ? 'The server is busy with other runs: retrying…' : primesNote;
  }
});
$('primes-btn').addEventListener('click', async () => {
  const btn = $('primes-btn');
  btn.disabled = true;
  let parts = 0;
  $('bar').style.width = '0%';
  const asked = Number($('limit').value) || 200000;
  const limit = Math.min(Math.max(Math.floor(asked), PRIMES.min), PRIMES.max);
  primesNote = limit === asked ? '' : `Clamped to ${limit.toLocaleString()}: the server sieves from ${PRIMES.min} to ${PRIMES.max.toLocaleString()}.`;
  if (limit !== asked) $('limit').value = String(limit);
  $('primes-note').textContent = primesNote;
  try {
    for await (const p of api.primes([limit], { retries: PRIMES.retries })) {
      parts++;
      $('bar').style.width = `${((p.done / p.total) * 100).toFixed(1)}%`;
      $('found').textContent = p.found.toLocaleString();
      $('last').textContent = p.last.toLocaleString();
      $('parts').textContent = String(parts);
    }
  } catch (err) {
    $('primes-note').textContent = `Failed: ${err.message}`;
  } finally {
    btn.disabled = false;
  }
});

// ---- notifications: chat ----
const messages = $('messages');
messages.innerHTML = '<li class="empty">No messages yet. Say hi, or send one from a terminal.</li>';
// The last MAX_MESSAGES stay on the page; the list scrolls once per frame, however many arrive.
const MAX_MESSAGES = 200;
let scrollPending = false;
function showChat(msg) {
  addMessage(`<span class="via">${escape(msg?.via)}</span><span class="from">${escape(msg?.from)}</span>${escape(msg?.text)}`);
}
/** Appends a line to the chat (HTML), keeping the last MAX_MESSAGES. */
function addMessage(html, className = '') {
  messages.querySelector('.empty')?.remove();
  const li = document.createElement('li');
  li.className = className;
  li.innerHTML = html;
  messages.append(li);
  while (messages.childElementCount > MAX_MESSAGES) messages.firstElementChild.remove();
  if (scrollPending) return;
  scrollPending = true;
  requestAnimationFrame(() => {
    scrollPending = false;
    messages.scrollTop = messages.scrollHeight;
  });
}
// A request, not a notification: the server refuses lines past its rate limit, and says so.
$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('chat-text').value.trim();
  if (!text) return;
  $('chat-text').value = '';
  hello.promise.then(() => api.chat({ text })).catch((err) => addMessage(`⚠ not sent: ${escape(err.message)}`, 'notice'));
});

// ---- heartbeats: loads of every peer ----
function applyLoad() {
  const pct = Number($('load').value);
  $('load-out').textContent = `${pct}%`;
  client.setLoad(Math.round((pct / 100) * 0xffff));
}
$('load').addEventListener('input', applyLoad);
// The roster: the first pages the server lists (it says how many there are in all), kept up to
// date by the changes it sends, and asked for again every few seconds for the loads.
const roster = { peers: new Map(), count: 0, shown: 50 }; // the server lists 50 at most
function showRoster(r) {
  if (!Array.isArray(r?.peers)) return;
  roster.peers = new Map(r.peers.map((p) => [asText(p?.name), p]));
  roster.count = Number(r.count) || r.peers.length;
  renderRoster();
}
function applyRosterChanges(c) {
  if (c?.resync) return void refreshRoster();
  for (const name of Array.isArray(c?.left) ? c.left : []) roster.peers.delete(asText(name));
  for (const p of Array.isArray(c?.joined) ? c.joined : []) {
    const name = asText(p?.name);
    const known = roster.peers.get(name);
    if (known) roster.peers.set(name, { ...known, kind: p.kind });
    else if (roster.peers.size < roster.shown) roster.peers.set(name, { name, kind: p.kind, load: null });
  }
  roster.count = Number(c?.count) || roster.peers.size;
  renderRoster();
}
function refreshRoster() {
  if (client.peer) api.roster(null).then(showRoster, () => {});
}
setInterval(() => document.hidden || refreshRoster(), 5000);
function renderRoster() {
  const hb = client.peer?.remoteHeartbeat;
  $('server-load').textContent = hb ? `${((hb.load / 0xffff) * 100).toFixed(0)}% (heartbeat ${new Date(hb.time * 1000).toLocaleTimeString()})` : '–';
  const more = roster.count - roster.peers.size;
  $('peers').innerHTML =
    [...roster.peers.values()]
      .map((p) => {
        const pct = typeof p.load === 'number' ? (p.load / 0xffff) * 100 : 0;
        return `<li><span class="kind">${escape(p.kind)}</span><span class="who">${escape(p.name)}${p.name === myName ? ' <span class="dim">(you)</span>' : ''}</span><span class="meter" title="${typeof p.load === 'number' ? `${pct.toFixed(0)}%` : 'no heartbeat yet'}"><i style="width:${pct.toFixed(1)}%"></i></span></li>`;
      })
      .join('') + (more > 0 ? `<li class="more">and ${more.toLocaleString()} more</li>` : '');
}

/** A value from the network (any JSON) as text: strings and numbers as they are, anything else as ''. */
function asText(v) {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** A value from the network as HTML text (see asText). */
function escape(v) {
  return asText(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
