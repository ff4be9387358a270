// The dashboard's only script: poll the live parts, and turn clicks into control API and
// provider API calls. No framework, no build step, nothing fetched from elsewhere.
"use strict";

(() => {
  const body = document.body;
  const liveUrl = body.dataset.liveUrl;
  const pollMs = Number(body.dataset.pollMs) || 1000;
  // With MOCKSERVER_ADMIN_TOKEN set, the page is opened as /_mock/?token=...; every call sends it.
  const token = new URLSearchParams(location.search).get("token");
  const statusLine = document.getElementById("status");
  const journalForm = document.querySelector('[data-form="journal"]');
  const smsDialog = document.getElementById("sms-dialog");
  const shown = {};
  let timer = null;

  function say(text, failed = false) {
    statusLine.textContent = text;
    statusLine.classList.toggle("failed", failed);
  }

  async function call(method, url, payload, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (token) init.headers["X-Admin-Token"] = token;
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(url, init);
    let answer = null;
    try { answer = await response.json(); } catch (_) { /* an empty or non-JSON body */ }
    if (!response.ok) {
      const why = answer && (answer.error || answer.message) || response.statusText;
      throw new Error(`${response.status}: ${why}`);
    }
    return answer;
  }

  // The "Set to" field suggests an instant after the virtual now, which the clock part carries.
  function suggestClockSet() {
    const now = document.querySelector("[data-set-suggestion]");
    const field = document.getElementById("clock-set");
    if (now && field) field.placeholder = now.dataset.setSuggestion;
  }

  function swap(part, html) {
    const holder = document.querySelector(`[data-live="${part}"]`);
    if (!holder || shown[part] === html) return;
    // Keep open what the reader opened; the new HTML arrives closed.
    const open = [...holder.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key);
    holder.innerHTML = html;
    shown[part] = html;
    for (const key of open) {
      const details = holder.querySelector(`details[data-key="${CSS.escape(key)}"]`);
      if (details) details.open = true;
    }
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const filters = new URLSearchParams();
      for (const [name, value] of new FormData(journalForm)) if (value) filters.set(name, value);
      const parts = await call("GET", `${liveUrl}?${filters}`);
      for (const [part, html] of Object.entries(parts)) swap(part, html);
      suggestClockSet();
      body.dataset.refreshed = String(Date.now());
    } catch (error) {
      say(`Cannot reach the sandbox: ${error.message}`, true);
    } finally {
      timer = setTimeout(tick, pollMs);
    }
  }

  function tick() {
    if (document.hidden) timer = setTimeout(tick, pollMs);
    else refresh();
  }

  async function act(label, work) {
    try {
      say(`${label}…`);
      say(await work());
    } catch (error) {
      say(`${label} failed: ${error.message}`, true);
    }
    await refresh();
  }

  const actions = {
    advance: (button) => act(`Advance ${button.dataset.advance}`, async () => {
      const clock = await call("POST", "/_mock/clock", { advance: button.dataset.advance });
      return `Advanced ${button.dataset.advance}: now ${clock.now}`;
    }),
    freeze: (button) => act(button.dataset.freeze === "true" ? "Freeze" : "Run", async () => {
      const clock = await call("POST", "/_mock/clock", { freeze: button.dataset.freeze === "true" });
      return `The clock is ${clock.frozen ? "frozen" : "running"} at ${clock.now}`;
    }),
    sms: (button) => {
      const form = smsDialog.querySelector("form");
      form.elements.provider.value = button.dataset.provider;
      form.elements.id.value = button.dataset.id;
      form.elements.text.value = button.dataset.text;
      document.getElementById("sms-target").textContent =
        `${button.dataset.service} · ${button.dataset.number} · ${button.dataset.id}`;
      smsDialog.showModal();
      form.elements.text.focus();
    },
    "close-dialog": () => smsDialog.close(),
    provider: (button) => act(`${button.dataset.verb} ${button.dataset.path}`, async () => {
      const answer = await call(button.dataset.method, button.dataset.path, undefined, { Authorization: `Bearer ${button.dataset.key}` });
      // Say what the provider answered when it says something; its wording is the truth.
      const told = answer && typeof answer.message === "string" ? `: ${answer.message}` : "";
      return `${button.dataset.verb} through the provider's API${told}`;
    }),
    redeliver: (button) => act(`Redeliver ${button.dataset.message}`, async () => {
      const attempt = await call("POST", `/_mock/webhooks/${encodeURIComponent(button.dataset.message)}/redeliver`);
      return `Attempt ${attempt.attempt}: ${attempt.ok ? `delivered (${attempt.status})` : attempt.error}`;
    }),
  };

  const forms = {
    scenario: (form) => act(`Load ${form.elements.name.value}`, async () => {
      const scenario = await call("PUT", "/_mock/scenario", { name: form.elements.name.value });
      return `Loaded scenario ${scenario.name}`;
    }),
    "clock-set": (form) => act(`Set the clock to ${form.elements.set.value}`, async () => {
      const clock = await call("POST", "/_mock/clock", { set: form.elements.set.value });
      return `Now ${clock.now}`;
    }),
    sms: (form) => act("Send SMS", async () => {
      const sent = await call("POST", "/_mock/sms",
        { provider: form.elements.provider.value, id: form.elements.id.value, text: form.elements.text.value });
      return `SMS delivered to ${sent.number}: ${sent.status}${sent.code ? `, code ${sent.code}` : ""}`;
    }),
    journal: () => refresh(),
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (button && actions[button.dataset.action]) {
      event.preventDefault();
      actions[button.dataset.action](button);
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-form]");
    if (form && forms[form.dataset.form]) {
      event.preventDefault();
      if (form.dataset.form === "sms") smsDialog.close();
      forms[form.dataset.form](form);
    }
  });

  journalForm.addEventListener("input", () => refresh());
  journalForm.addEventListener("reset", () => setTimeout(refresh));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  refresh();
})();
