/*
 * The demo portal's "模拟登录" switch: it stands in for the portal's own enterprise login.
 *
 * Logging in asks this service (development only) for a signed token of a demo enterprise and hands it to the
 * widget with window.MinfuWidget.setToken(token); logging out hands it null. A real portal signs the token itself
 * after its login (see api/identity.py) and calls setToken the same way. The demo enterprise has no contact person
 * on file, so starting a matter shows the assistant asking for one.
 */
(() => {
  "use strict";

  const STORAGE_KEY = "minfu-demo:login";
  const button = document.getElementById("demo-login");
  const status = document.getElementById("account-status");
  let login = restored();

  function restored() {
    try {
      const saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      return saved && Date.parse(saved.expires_at) > Date.now() + 60_000 ? saved : null;
    } catch (_) {
      return null;
    }
  }

  function save() {
    try {
      if (login) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(login));
      else window.sessionStorage.removeItem(STORAGE_KEY);
    } catch (_) {
      /* storage blocked: the login lasts until the page is reloaded */
    }
  }

  function show(message) {
    status.textContent = message || (login ? "已登录：" + login.enterprise.name : "未登录");
    button.textContent = login ? "退出登录" : "模拟登录";
    button.setAttribute("aria-pressed", login ? "true" : "false");
    if (login) button.classList.remove("attention");
  }

  function handOver() {
    if (window.MinfuWidget) window.MinfuWidget.setToken(login ? login.token : null);
  }

  async function logIn() {
    const response = await fetch("/v1/dev/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ contact_name: null, contact_phone: null }),
    });
    if (response.status === 404) throw new Error("模拟登录仅在开发环境可用");
    if (!response.ok) throw new Error("模拟登录失败，请稍后重试");
    const body = await response.json();
    return { token: body.token, expires_at: body.expires_at, enterprise: body.enterprise };
  }

  async function toggle() {
    button.disabled = true;
    try {
      login = login ? null : await logIn();
      save();
      handOver();
      show();
    } catch (error) {
      show(error.message);
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", toggle);
  window.addEventListener("minfu:ready", handOver);
  window.addEventListener("minfu:auth-error", (event) => {
    if (!login || !/token/.test((event.detail && event.detail.error) || "")) return;
    login = null;
    save();
    handOver();
    show("登录已失效，请重新模拟登录");
  });
  window.addEventListener("minfu:login-required", () => {
    if (login) return;
    button.classList.add("attention"); // points at the login switch without taking focus from the widget
    window.setTimeout(() => button.classList.remove("attention"), 4000);
  });
  show();
  handOver();
})();
