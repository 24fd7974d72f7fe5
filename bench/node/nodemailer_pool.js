// Nodemailer's pooled transport (what n8n runs), composing each message, into one sink.
// Usage: node nodemailer_pool.js PORT COUNT SESSIONS [MESSAGE.json [WARMUP]]
//   -> prints {"rate": msgs_per_second}
// MESSAGE.json: {"html", "text", "attachment" (base64), "filename"}; without it, the message of
// bench_delivery.py. WARMUP messages go through the same pool before the COUNT timed ones.
"use strict";
const fs = require("fs");
const nodemailer = require("nodemailer");

const [port, count, sessions] = process.argv.slice(2, 5).map(Number);
const warmup = Number(process.argv[6] || 0);
const given = process.argv[5] ? JSON.parse(fs.readFileSync(process.argv[5], "utf8")) : null;
const html = given ? given.html :
  "<html><body>" + "<p>Hello <b>there</b>, a new lead was created.</p>".repeat(30) +
  "</body></html>";
const text = given ? given.text : "A new lead was created.";
const attachment = given ? Buffer.from(given.attachment, "base64") :
  Buffer.alloc(4096, 0).map((_, i) => i % 256);
const filename = given ? given.filename : "lead.bin";

async function main() {
  const transport = nodemailer.createTransport({
    pool: true, maxConnections: sessions, maxMessages: Infinity,
    host: "127.0.0.1", port, secure: false, ignoreTLS: true, name: "bench.local",
  });
  let next = 0;
  let last = 0;
  async function lane() {
    while (next < last) {
      const i = next++;
      await transport.sendMail({
        from: "Sales <sender@example.com>", to: "recipient@example.com",
        subject: `Lead ${i}`, text, html,
        attachments: [{ filename, content: attachment }],
      });
    }
  }
  last = warmup;
  await Promise.all(Array.from({ length: sessions }, lane));
  const started = process.hrtime.bigint();
  last = warmup + count;
  await Promise.all(Array.from({ length: sessions }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  transport.close();
  process.stdout.write(JSON.stringify({ rate: count / seconds }) + "\n");
}

main().catch((err) => { console.error(err); process.exit(1); });
