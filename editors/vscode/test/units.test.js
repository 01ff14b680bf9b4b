'use strict';
// The parts that need no Braid: the JSON-RPC client against a tiny fake server, and the patch
// application behind the diff editor's new side.

const test = require('node:test');
const assert = require('node:assert/strict');

require('./vscode-stub').__stub.install();
const { RpcClient, RpcError } = require('../src/rpc');
const { parsePatch, applyHunks, unquote } = require('../src/diff');
const { describe } = require('../src/board');

// A server that answers `echo`, fails `fail`, asks the client `client/ask` when told `ask`, sends
// its frames split in odd pieces, and exits 0 on `exit` after `shutdown`.
const FAKE_SERVER = String.raw`
let buffer = Buffer.alloc(0); let shut = false;
function send(message) {
  const body = Buffer.from(JSON.stringify(message));
  const frame = Buffer.concat([Buffer.from('Content-Length: ' + body.length + '\r\n\r\n'), body]);
  for (let i = 0; i < frame.length; i += 7) process.stdout.write(frame.subarray(i, i + 7));
}
process.stdin.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n'); if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString());
    buffer = buffer.subarray(end + 4 + length);
    if (message.method === 'echo') { send({ jsonrpc: '2.0', method: 'note', params: { heard: message.params } }); send({ jsonrpc: '2.0', id: message.id, result: message.params }); }
    else if (message.method === 'fail') send({ jsonrpc: '2.0', id: message.id, error: { code: -32602, message: 'bad params', data: 1 } });
    else if (message.method === 'ask') { asking = message.id; replies = {}; send({ jsonrpc: '2.0', id: 1000, method: 'client/ask', params: { n: message.params.n } }); send({ jsonrpc: '2.0', id: 1001, method: 'unknown/thing' }); }
    else if (message.method === 'shutdown') { shut = true; send({ jsonrpc: '2.0', id: message.id, result: null }); }
    else if (message.method === 'exit') process.exit(shut ? 0 : 1);
    else if (message.id === 1000 || message.id === 1001) {
      replies[message.id] = message;
      if (replies[1000] && replies[1001]) send({ jsonrpc: '2.0', id: asking, result: replies });
    }
  }
});
var asking, replies;
`;

test('the JSON-RPC client: requests, errors, notifications, server requests, shutdown', async (t) => {
  const client = new RpcClient(process.execPath, ['-e', FAKE_SERVER], {});
  t.after(() => client.running && client.process.kill());
  const notes = [];
  client.onNotification('note', (params) => notes.push(params));
  client.onRequest('client/ask', async ({ n }) => ({ doubled: n * 2 }));
  await client.start();

  assert.deepEqual(await client.request('echo', { text: 'héllo ✓' }), { text: 'héllo ✓' });
  assert.deepEqual(notes, [{ heard: { text: 'héllo ✓' } }], 'the notification came before the answer');
  const answers = await Promise.all([1, 2, 3].map((n) => client.request('echo', { n })));
  assert.deepEqual(answers, [{ n: 1 }, { n: 2 }, { n: 3 }], 'each answer goes to its request');

  await assert.rejects(client.request('fail', {}), (error) => error instanceof RpcError && error.code === -32602 && error.data === 1);

  // The server asks us: our handler answers `client/ask`; a method we do not handle is an error.
  const replies = await client.request('ask', { n: 21 });
  assert.deepEqual(replies[1000].result, { doubled: 42 });
  assert.equal(replies[1001].error.code, -32601);

  const gone = await client.stop();
  assert.deepEqual(gone, { code: 0, signal: null }, 'shutdown then exit: status 0');
  assert.equal(client.running, false);
  await assert.rejects(client.request('echo', {}), /not running/);
});

test('a server that dies fails the requests waiting for it', async (t) => {
  const client = new RpcClient(process.execPath, ['-e', 'process.stdin.once("data", () => process.exit(3))'], {});
  t.after(() => client.running && client.process.kill());
  await client.start();
  await assert.rejects(client.request('anything', {}), /exited \(3\)/);
});

test('a missing executable is an error at start', async () => {
  const client = new RpcClient('/nonexistent/braid', ['serve'], {});
  await assert.rejects(client.start(), /ENOENT/);
});

const PATCH = `diff --git a/README.md b/README.md
index 1111111..2222222 100644
--- a/README.md
+++ b/README.md
@@ -1,3 +1,4 @@
 # A small project
 
-Some text.
+Some better text.
+added by braid
diff --git a/hello.txt b/hello.txt
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/hello.txt
@@ -0,0 +1,2 @@
+hello
+no newline
\\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 4444444..0000000
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-gone
diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"
index 5555555..6666666 100644
--- "a/caf\\303\\251.txt"
+++ "b/caf\\303\\251.txt"
@@ -2,0 +3 @@ two
+three
diff --git a/logo.png b/logo.png
index 7777777..8888888 100644
Binary files a/logo.png and b/logo.png differ
`;

test('patches: parsed per file and applied to the base', () => {
  const files = parsePatch(PATCH);
  assert.deepEqual(files.map((f) => [f.oldPath, f.newPath, f.binary]), [
    ['README.md', 'README.md', false], [null, 'hello.txt', false], ['old.txt', null, false],
    ['café.txt', 'café.txt', false], ['logo.png', 'logo.png', true],
  ]);
  assert.equal(applyHunks('# A small project\n\nSome text.\n', files[0].hunks),
    '# A small project\n\nSome better text.\nadded by braid\n');
  assert.equal(applyHunks('', files[1].hunks), 'hello\nno newline');
  assert.equal(applyHunks('gone\n', files[2].hunks), '');
  assert.equal(applyHunks('one\ntwo\nfour\n', files[3].hunks), 'one\ntwo\nthree\nfour\n');
  assert.equal(unquote('"a/tab\\there"'), 'a/tab\there');
});

test('the tree item description: owner, attempts, gate, risk', () => {
  assert.equal(describe({ owner: 'claude', attempts: 1, lastGate: 'failed at test', risk: { level: 'low' } }),
    'claude · 1 failed try · gate failed at test · risk low');
  assert.equal(describe({ attempts: 0, lastGate: 'passed', queued: true }), 'gate passed · queued');
});
