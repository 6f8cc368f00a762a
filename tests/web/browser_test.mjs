// The web app in a real browser: Debian's Chromium driven by puppeteer-core
// (pinned in package.json; it uses the installed browser and downloads
// nothing), against the real suite on loopback that web_test.py starts.
// Env: BASE_URL, ARTIFACTS (a folder for screenshots and the load report).
// Prints one JSON line of measurements; exits non-zero on the first failed
// check.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import puppeteer from "puppeteer-core";

const base = process.env.BASE_URL;
const artifacts = process.env.ARTIFACTS;
mkdirSync(artifacts, { recursive: true });
const report = {};

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

// A page that fails the test on any script error, CSP violation or dialog
// (an alert() from an injected title would be one).
async function newPage(viewport = { width: 1280, height: 860 }) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  page.problems = [];
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/the server responded with a status of 4\d\d/.test(message.text())) {
      page.problems.push(`console: ${message.text()}`);
    }
  });
  page.on("dialog", async (dialog) => {
    if (dialog.type() === "confirm" && page.acceptConfirm) return dialog.accept();
    page.problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    return dialog.dismiss();
  });
  return page;
}

const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const text = (page, selector) => page.$eval(selector, (node) => node.textContent);
const titles = (page) => page.$$eval(".task-title", (nodes) => nodes.map((node) => node.textContent));
// Polls the list until `predicate(titles)` holds (10 s at most).
async function waitForTitles(page, predicate, what) {
  const deadline = Date.now() + 10000;
  let shown = [];
  while (Date.now() < deadline) {
    shown = await titles(page);
    if (predicate(shown)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${what}: the list shows ${JSON.stringify(shown)}`);
}

async function signUp(page, email) {
  await page.click("button.link");  // "New here? Create an account"
  await page.type("input[name=name]", "Ada");
  await page.type("input[name=email]", email);
  await page.type("input[name=password]", "correct horse battery");
  await page.click("button[type=submit]");
  await page.waitForSelector(".tasks", { timeout: 10000 });
}

async function addTask(page, fields) {
  await page.click(".tasks-head button.primary");
  await page.waitForSelector("dialog[open] input[name=title]");
  await page.type("dialog[open] input[name=title]", fields.title);
  if (fields.priority) await page.select("dialog[open] select[name=priority]", fields.priority);
  if (fields.recurrence) await page.select("dialog[open] select[name=recurrence]", fields.recurrence);
  if (fields.tags) await page.type("dialog[open] input[name=tags]", fields.tags);
  if (fields.due) {
    await page.$eval("dialog[open] input[name=due_date]", (input, value) => {
      input.value = value;
    }, fields.due);
  }
  await page.click("dialog[open] button[type=submit]");
  await page.waitForSelector("dialog[open]", { hidden: true });
}

const row = (page, title) => page.evaluateHandle((wanted) =>
  [...document.querySelectorAll(".task")].find((node) =>
    node.querySelector(".task-title").textContent === wanted), title);

// --- first load: bytes over the wire and time until the form can be used ---
{
  const page = await newPage();
  const client = await page.createCDPSession();
  await client.send("Network.enable");
  let bytes = 0;
  client.on("Network.loadingFinished", (event) => { bytes += event.encodedDataLength; });
  await client.send("Network.setCacheDisabled", { cacheDisabled: true });
  const started = Date.now();
  await page.goto(base, { waitUntil: "load" });
  await page.waitForSelector("form input[name=email]");
  report.first_load_ms = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 300));
  report.first_load_bytes = bytes;
  const timing = await page.evaluate(() => performance.getEntriesByType("navigation")[0].toJSON());
  report.dom_content_loaded_ms = Math.round(timing.domContentLoadedEventEnd);
  assert.ok(bytes < 150 * 1024, `first load ${bytes} bytes`);
  await shot(page, "01-sign-in");
  assert.deepEqual(page.problems, []);
  await page.close();
}

const page = await newPage();
await page.goto(base);
await page.waitForSelector("form input[name=email]");
await signUp(page, `ada-${Date.now()}@example.com`);

// --- tasks: add (every field the form has), XSS title, edit, filters ---
await addTask(page, { title: "Buy milk", priority: "high", tags: "home, errands",
                      due: "2031-05-02T09:30" });
await waitForTitles(page, (titles) => titles.includes('Buy milk'), "added task");
const milk = await row(page, "Buy milk");
assert.match(await milk.evaluate((node) => node.textContent), /high/);
assert.match(await milk.evaluate((node) => node.textContent), /#errands/);

const hostile = "<img src=x onerror=alert(1)>";
await addTask(page, { title: hostile });
await waitForTitles(page, (titles) => titles.includes(hostile), "hostile title as text");
assert.equal(await page.$$eval(".task-list img", (nodes) => nodes.length), 0);

await (await (await row(page, "Buy milk")).asElement().$("button[aria-label^=Edit]")).click();
await page.waitForSelector("dialog[open] input[name=title]");
await page.$eval("dialog[open] input[name=title]", (input) => { input.value = ""; });
await page.type("dialog[open] input[name=title]", "Buy oat milk");
await page.select("dialog[open] select[name=recurrence]", "weekly");
await page.click("dialog[open] button[type=submit]");
await waitForTitles(page, (titles) => titles.includes('Buy oat milk'), "edited title");
await addTask(page, { title: "Call the dentist", priority: "low" });
await shot(page, "02-tasks");

await page.type("input[type=search]", "oat");
await waitForTitles(page, (titles) => titles.length === 1 && titles[0] === 'Buy oat milk', "search");
await page.$eval("input[type=search]", (input) => { input.value = ""; });
await page.type("input[type=search]", " ");
await page.select("select[aria-label=Priority]", "low");
await waitForTitles(page, (titles) => titles.length === 1 && titles[0] === 'Call the dentist', "priority filter");
await page.select("select[aria-label=Priority]", "");
await waitForTitles(page, (titles) => titles.length === 3, "filters cleared");

// --- a recurring task completed: the next one appears, pending ---
await (await (await row(page, "Buy oat milk")).asElement().$("input[type=checkbox]")).click();
await page.click("button[role=tab]:nth-child(2)");  // Pending
await waitForTitles(page, (titles) => titles.filter((t) => t === 'Buy oat milk').length === 1, "next occurrence");
await page.click("button[role=tab]:nth-child(4)");  // Completed
await waitForTitles(page, (titles) => titles.length === 1 && titles[0] === 'Buy oat milk', "completed tab");
await page.click("button[role=tab]:nth-child(1)");  // All
await waitForTitles(page, (titles) => titles.length === 4, "all tabs");

// --- delete with undo, then for good ---
await (await (await row(page, "Call the dentist")).asElement().$("button[aria-label^=Delete]")).click();
await waitForTitles(page, (titles) => !titles.includes('Call the dentist'), "deleted from view");
await page.click(".toast button.link");  // Undo
await waitForTitles(page, (titles) => titles.includes('Call the dentist'), "undo");
await (await (await row(page, "Call the dentist")).asElement().$("button[aria-label^=Delete]")).click();
await new Promise((resolve) => setTimeout(resolve, 6000));
await page.reload();
await page.waitForSelector(".tasks");
await waitForTitles(page, (titles) => titles.length === 3 && !titles.includes('Call the dentist'), "deleted for good");

// --- the assistant adds a task; the list follows; history survives a reload ---
await page.type(".chat-input input", "add call mom tomorrow at 5pm");
await page.click(".chat-input button");
await page.waitForSelector(".tool-call.done", { timeout: 15000 });
await waitForTitles(page, (titles) => titles.some((t) => /call mom/i.test(t)), "task added by chat");
const reply = await text(page, ".message.assistant p");
assert.ok(reply.length > 0, "the assistant answered");
await shot(page, "03-chat");
await page.reload();
await page.waitForSelector(".chat select option:nth-child(2)");
const conversation = await page.$eval(".chat select option:nth-child(2)", (option) => option.value);
await page.select(".chat select", conversation);
await page.waitForSelector(".message.user");
assert.match(await text(page, ".message.user"), /call mom/);

// --- a reminder from the stream, shown in the page ---
const token = await page.evaluate(() => localStorage.getItem("todo-grpc.token"));
const soon = new Date(Date.now() + 2000).toISOString();
const created = await fetch(`${base}/v1/tasks`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ title: "Stretch", remind_at: soon }),
});
assert.equal(created.status, 200);
await page.waitForFunction(() => [...document.querySelectorAll(".toast")]
  .some((toast) => /Reminder: Stretch/.test(toast.textContent)), { timeout: 20000 });
await shot(page, "04-reminder");

// --- dark mode, a phone, the docs ---
await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const [r, g, b] = background.match(/\d+/g).map(Number);
assert.ok(r + g + b < 150, `dark background: ${background}`);
await shot(page, "05-dark");
await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
await page.waitForSelector(".switch", { visible: true });
assert.equal(await page.$eval(".chat", (node) => getComputedStyle(node).display), "none");
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
assert.ok(overflow <= 0, `no sideways scroll on a phone (${overflow} px)`);
await shot(page, "06-phone-tasks");
await page.click(".switch button:nth-child(2)");
await page.waitForSelector(".chat", { visible: true });
await shot(page, "07-phone-chat");
await page.setViewport({ width: 1280, height: 860 });
await page.goto(`${base}/docs`);
await page.waitForSelector("details.operation");
assert.ok((await page.$$("details.operation")).length >= 15);
await shot(page, "08-docs");

// --- sign out ---
await page.goto(base);
await page.waitForSelector(".account");
await page.click(".account button:not(.danger)");
await page.waitForSelector("form input[name=email]");
assert.deepEqual(page.problems, []);
await page.close();

// --- keyboard only: sign up, add a task, complete it; then delete the account ---
{
  const keys = await newPage();
  keys.acceptConfirm = true;
  await keys.goto(base);
  await keys.waitForSelector("form input[name=email]");
  const press = (key, times = 1) => (async () => {
    for (let i = 0; i < times; i++) await keys.keyboard.press(key);
  })();
  const focused = () => keys.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return "";
    return element.getAttribute("name") || element.textContent.trim();
  });
  // Tab from the top until the "create an account" link has focus.
  for (let i = 0; i < 10 && !/Create an account/.test(await focused()); i++) await press("Tab");
  await press("Enter");
  await keys.waitForSelector("input[name=name]");
  for (let i = 0; i < 10 && (await focused()) !== "name"; i++) await press("Tab");
  await keys.keyboard.type("Key Board");
  await press("Tab");
  await keys.keyboard.type(`keys-${Date.now()}@example.com`);
  await press("Tab");
  await keys.keyboard.type("correct horse battery");
  await press("Enter");
  await keys.waitForSelector(".tasks");
  for (let i = 0; i < 20 && !/New task/.test(await focused()); i++) await press("Tab");
  assert.match(await focused(), /New task/);
  await press("Enter");
  await keys.waitForSelector("dialog[open] input[name=title]");
  await keys.keyboard.type("Typed without a mouse");
  await press("Enter");
  await waitForTitles(keys, (titles) => titles.includes('Typed without a mouse'), "keyboard task");
  for (let i = 0; i < 40; i++) {
    const label = await keys.evaluate(() => document.activeElement?.getAttribute("aria-label") || "");
    if (label === "Complete Typed without a mouse") break;
    await press("Tab");
  }
  await press("Space");
  await keys.waitForSelector(".task.done");
  await shot(keys, "09-keyboard");
  await keys.click(".account button.danger");  // delete account (confirmed)
  await keys.waitForSelector("form input[name=email]");
  assert.deepEqual(keys.problems, []);
  await keys.close();
}

await browser.close();
writeFileSync(join(artifacts, "report.json"), JSON.stringify(report, null, 2));
console.log(JSON.stringify(report));
