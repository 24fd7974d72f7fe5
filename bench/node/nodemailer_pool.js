// Nodemailer's pooled transport (what n8n runs), composing each message, into one sink.
// Usage: node nodemailer_pool.js PORT COUNT SESSIONS  -> prints {"rate": msgs_per_second}
"use strict";
const nodemailer = require("nodemailer");

const [port, count, sessions] = process.argv.slice(2).map(Number);
const html = "<html><body>" + "<p>Hello <b>there</b>, a new lead was created.</p>".repeat(30) +
  "</body></html>";
const attachment = Buffer.alloc(4096, 0).map((_, i) => i % 256);

async function main() {
  const transport = nodemailer.createTransport({
    pool: true, maxConnections: sessions, maxMessages: Infinity,
    host: "127.0.0.1", port, secure: false, ignoreTLS: true, name: "bench.local",
  });
  const started = process.hrtime.bigint();
  let next = 0;
  async function lane() {
    while (next < count) {
      const i = next++;
      await transport.sendMail({
        from: "Sales <sender@example.com>", to: "recipient@example.com",
        subject: `Lead ${i}`, text: "A new lead was created.", html,
        attachments: [{ filename: "lead.bin", content: attachment }],
      });
    }
  }
  await Promise.all(Array.from({ length: sessions }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  transport.close();
  process.stdout.write(JSON.stringify({ rate: count / seconds }) + "\n");
}

main().catch((err) => { console.error(err); process.exit(1); });
