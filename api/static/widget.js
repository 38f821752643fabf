/*!
 * 闵服 minfu chat widget — one script tag, no build step, no dependencies (plain ES2020).
 *
 *   <script src="https://<minfu host>/widget.js" data-site-key="site_xxx" defer></script>
 *
 * Attributes: data-site-key (required), data-api-base (default: the origin this script came from),
 * data-title (the panel's title), data-transport ("stream", the default, or "json": one answer per request).
 *
 * Host page API (window.MinfuWidget; a "minfu:ready" event is dispatched on window once it exists):
 *   setToken(token | null)  the enterprise token the portal signed after its own login; null logs out
 *   open() / close() / toggle()
 *   ask(text)               opens the panel and sends `text` as the user's message
 * Events dispatched on window: "minfu:login-required" (the assistant needs a signed-in enterprise),
 * "minfu:auth-error" (detail: {error, message}: the service refused the request's credentials, e.g. an expired token).
 *
 * Everything lives in an open shadow root, so the host's CSS cannot reach it. Text from the model, documents and
 * staff is always set with textContent / text nodes: nothing received is ever parsed as HTML.
 */
(() => {
  "use strict";

  const VERSION = "1.0.0";
  if (window.MinfuWidget && window.MinfuWidget.version) return; // the tag was included twice

  const script = document.currentScript || document.querySelector("script[data-site-key][src*='widget.js']");
  const POLL_MS = 4000;
  const POLL_FOR_MS = 30 * 60 * 1000;
  const MAX_CHARS = 2000;
  const NARROW = "(max-width: 480px)";
  const SIGNED_OUT = "未登录 · 登录后可办理和查询办件";

  const TOOL_PROGRESS = {
    search_knowledge: "正在检索政策法规…",
    get_service_guide: "正在查询办事指南…",
    start_matter: "正在创建办件…",
    supplement_materials: "正在登记补充材料…",
    track_matter: "正在查询办件进度…",
    list_my_matters: "正在查询您的办件…",
    match_policies: "正在匹配惠企政策…",
    book_appointment: "正在查询预约时段…",
    submit_request: "正在登记诉求…",
    rate_request: "正在提交评价…",
    recommend_sites: "正在查找合适的载体…",
    register_investment_lead: "正在登记投资意向…",
    handoff_to_human: "正在转接人工服务…",
  };
  const FIELD_LABELS = {
    contact_name: "联系人姓名",
    contact_phone: "联系电话",
    matter_code: "办理事项",
    service_name: "预约业务",
    matter_number: "办件编号",
    ticket_number: "诉求编号",
    investor_name: "投资者（企业）名称",
    industry: "产业方向",
    score: "评分（1-5 分）",
    slot_id: "预约时段",
    provided: "已准备好的材料",
  };
  const PLACEHOLDERS = {
    contact_phone: "例如 13800138000",
    matter_number: "例如 MH20260101-000001",
    ticket_number: "例如 SQ20260101-000001",
    matter_code: "例如 食品经营许可",
  };
  const VALIDITY = { current: "现行有效", superseded: "已被修订", expired: "已失效", not_yet_effective: "尚未施行" };
  const AGENTS = { policy: "政务助手", investment: "招商助手" };
  const SUGGESTIONS = ["劳动合同的试用期最长不得超过多久？", "食品经营许可需要什么材料？", "查询我的办件进度"];
  const DOWN_REASONS = ["答非所问", "内容有误", "不够清楚"];
  const ICONS = {
    chat: ["M4 4h16v12H7l-3 3z"],
    up: [
      "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 0 0-.5-1L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10" +
        "a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7a2 2 0 0 0 .2-.8v-2z",
    ],
    down: [
      "M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3a1.5 1.5 0 0 0 .5 1l1 1.1 6.6-6.6A2 2 0 0 0 18 15V5" +
        "a2 2 0 0 0-2-2H7a2 2 0 0 0-1.8 1.2l-3 7a2 2 0 0 0-.2.8v2z",
    ],
  };
  const URL_IN_TEXT = /https?:\/\/[^\s，。；、！？）)」》<>"'\]]+/g;
  const REFERENCE = /\[(\d{1,3})\]/g;

  // ---------------------------------------------------------------------------------------------- small helpers
  /** An element: attributes via setAttribute (never event handlers), children as nodes or text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    return append(node, children);
  }

  function append(parent, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false || child === "") continue;
      parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return parent;
  }

  function button(label, onClick, attrs) {
    const node = el("button", Object.assign({ type: "button" }, attrs || {}), label);
    node.addEventListener("click", onClick);
    return node;
  }

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon icon-" + name);
    for (const d of ICONS[name]) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    }
    return svg;
  }

  /** An absolute http(s) URL, or null: links made from data never get another scheme (no javascript:). */
  function safeUrl(value) {
    if (!/^https?:\/\//i.test(text(value))) return null;
    try {
      const url = new URL(String(value));
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(href, label) {
    const url = safeUrl(href);
    return url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label || url) : text(href);
  }

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function list(value) {
    return Array.isArray(value) ? value : [];
  }

  function randomId(prefix) {
    return prefix + "-" + Math.random().toString(36).slice(2, 10);
  }

  /** The enterprise name inside a token, for display only (the service verifies the token on every request). */
  function tokenName(token) {
    try {
      const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const padded = payload.padEnd(Math.ceil(payload.length / 4) * 4, "=");
      const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return typeof claims.name === "string" ? claims.name : "";
    } catch (_) {
      return "";
    }
  }

  /** Answer text as nodes: URLs become links, "[n]" of a known citation a button that opens it. */
  function answerNodes(answer, citations, open) {
    const byNumber = new Map(citations.map((c) => [String(c.number), c]));
    const nodes = [];
    let last = 0;
    for (const match of answer.matchAll(REFERENCE)) {
      const citation = byNumber.get(match[1]);
      if (!citation) continue;
      nodes.push(...linked(answer.slice(last, match.index)));
      const label = `引用 ${match[1]}：《${text(citation.title)}》${text(citation.article)}`;
      const attrs = { className: "ref", "aria-label": label };
      nodes.push(button(match[0], (event) => open(citation, event.currentTarget), attrs));
      last = match.index + match[0].length;
    }
    nodes.push(...linked(answer.slice(last)));
    return nodes;
  }

  function linked(plain) {
    const nodes = [];
    let last = 0;
    for (const match of plain.matchAll(URL_IN_TEXT)) {
      nodes.push(plain.slice(last, match.index), link(match[0]));
      last = match.index + match[0].length;
    }
    nodes.push(plain.slice(last));
    return nodes;
  }

  // ---------------------------------------------------------------------------------------------- server-sent events
  /** Calls onEvent(name, data) for each complete event of a text/event-stream body (POST, so no EventSource). */
  async function readEventStream(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      buffer = buffer.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatchBlock(buffer.slice(0, end), onEvent);
        buffer = buffer.slice(end + 2);
      }
      if (done) break;
    }
    if (buffer.trim()) dispatchBlock(buffer, onEvent);
  }

  function dispatchBlock(block, onEvent) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a comment (keep-alive)
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return;
    let parsed;
    try {
      parsed = JSON.parse(data.join("\n"));
    } catch (_) {
      return; // not ours: every minfu event carries JSON
    }
    onEvent(name, parsed);
  }

  // ---------------------------------------------------------------------------------------------- API client
  class ApiError extends Error {
    constructor(status, body) {
      super(text(body && body.message) || "服务暂时不可用，请稍后重试");
      this.status = status;
      this.code = text(body && body.error) || "http_error";
    }
  }

  class Api {
    constructor(base, siteKey) {
      this.base = base.replace(/\/+$/, "");
      this.siteKey = siteKey;
      this.token = null;
    }

    headers(accept, hasBody) {
      const headers = { "X-Site-Key": this.siteKey, Accept: accept };
      if (hasBody) headers["Content-Type"] = "application/json";
      if (this.token) headers.Authorization = "Bearer " + this.token;
      return headers;
    }

    async request(method, path, body, signal) {
      const headers = this.headers("application/json", body !== undefined);
      const init = { method, headers, signal, credentials: "omit" };
      if (body !== undefined) init.body = JSON.stringify(body);
      const response = await this.fetch(path, init);
      return response.status === 204 ? null : response.json();
    }

    async fetch(path, init) {
      let response;
      try {
        response = await fetch(this.base + path, init);
      } catch (error) {
        if (error.name === "AbortError") throw error;
        throw new ApiError(0, { error: "network_error", message: "网络连接失败，请检查网络后重试" });
      }
      if (!response.ok) throw await this.failure(response);
      return response;
    }

    async failure(response) {
      let body = null;
      try {
        body = await response.json();
      } catch (_) {
        body = null;
      }
      const error = new ApiError(response.status, body);
      const wait = Number(response.headers.get("Retry-After"));
      if (response.status === 429 && wait > 0) error.message = `请求过于频繁，请 ${Math.ceil(wait)} 秒后再试`;
      return error;
    }

    /** One turn, streamed: onEvent(name, data) per event. Without readable streams, one JSON answer instead. */
    async chat(message, conversationId, onEvent, signal, transport) {
      const body = { message, conversation_id: conversationId };
      if (transport === "json" || !window.ReadableStream || !window.TextDecoder) {
        const final = await this.request("POST", "/v1/chat", body, signal);
        onEvent("conversation", { conversation_id: final.conversation_id });
        for (const call of list(final.tool_calls)) onEvent("tool_result", call);
        onEvent("text", { delta: text(final.answer) });
        onEvent("final", final);
        return;
      }
      const headers = this.headers("text/event-stream", true);
      const init = { method: "POST", headers, body: JSON.stringify(body), signal, credentials: "omit" };
      const response = await this.fetch("/v1/chat/stream", init);
      if (!response.body) throw new ApiError(0, { message: "浏览器不支持流式回答，请刷新后重试" });
      await readEventStream(response.body, onEvent);
    }
  }

  // ---------------------------------------------------------------------------------------------- cards
  function field(label, value) {
    if (value === null || value === undefined || value === "") return null;
    return el("div", { className: "field" }, el("dt", null, label), el("dd", null, value));
  }

  function bullets(items, render, ordered) {
    const rows = list(items).map((item) => el("li", null, render ? render(item) : text(item)));
    return rows.length ? el(ordered ? "ol" : "ul", null, rows) : null;
  }

  function sectionOf(title, content) {
    return content ? el("section", null, el("h5", null, title), content) : null;
  }

  function card(kind, title, ...body) {
    return el("article", { className: "card card-" + kind, "aria-label": title }, el("h4", null, title), body);
  }

  function guideCard(guide) {
    const materials = bullets(guide.materials, (m) => [text(m.name), m.required === false ? "（非必需）" : ""]);
    const places = bullets(guide.places, (p) => [text(p.name), p.address ? "：" + text(p.address) : ""]);
    const days = guide.committed_time_limit_days;
    return card(
      "guide",
      "办事指南 · " + text(guide.name),
      el(
        "dl",
        null,
        field("事项编码", text(guide.code)),
        field("实施部门", text(guide.department)),
        field("承诺时限", days ? `${days} 个工作日` : ""),
        field("一件事包含", list(guide.bundle_members).map(text).join("、")),
      ),
      sectionOf("受理条件", bullets(guide.conditions)),
      sectionOf("申请材料", materials),
      sectionOf("办理流程", bullets(guide.steps, null, true)),
      sectionOf("办理地点", places),
      guide.online_url ? el("p", null, "网上办理：", link(guide.online_url)) : null,
      guide.sample ? el("p", { className: "note" }, "示例数据，请以官方办事指南为准") : null,
    );
  }

  function matterCard(matter, nextStep, title) {
    return card(
      "matter",
      title || "办件 " + text(matter.matter_number),
      el(
        "dl",
        null,
        field("办件编号", text(matter.matter_number)),
        field("办理事项", text(matter.matter_name)),
        field("当前状态", el("span", { className: "state" }, text(matter.state_label))),
        field("缺少材料", list(matter.missing_materials).map(text).join("、")),
        field("下一步", text(nextStep)),
      ),
    );
  }

  function requestCard(request, title) {
    return card(
      "request",
      title || "诉求 " + text(request.ticket_number),
      el(
        "dl",
        null,
        field("诉求编号", text(request.ticket_number)),
        field("类别", text(request.category)),
        field("当前状态", el("span", { className: "state" }, text(request.state_label))),
        field("承办部门", text(request.department || request.suggested_department)),
      ),
    );
  }

  function bookingCard(booking) {
    const slot = booking.slot || {};
    const until = slot.ends_at ? " 至 " + text(slot.ends_at).slice(-5) : "";
    return card(
      "booking",
      "预约成功",
      el(
        "dl",
        null,
        field("预约编号", text(booking.booking_number)),
        field("办理业务", text(slot.service_name)),
        field("时间", text(slot.starts_at) + until),
        field("地点", [text(slot.place), text(slot.window)].filter(Boolean).join(" ")),
      ),
    );
  }

  function matterListCard(result) {
    const matters = list(result.matters);
    return card(
      "list",
      "我的办件和诉求",
      matters.length ? matters.map((m) => matterCard(m, null)) : el("p", null, "暂无办件"),
      list(result.requests).map((r) => requestCard(r)),
    );
  }

  /** The card a tool result deserves, or null (search results are shown as citations instead). */
  function cardFor(name, result) {
    if (!result || result.ok === false) return null;
    if (name === "get_service_guide" && result.guide) return guideCard(result.guide);
    if (name === "start_matter" && result.matter) return matterCard(result.matter, result.next_step, "办件已创建");
    if (/^(track_matter|supplement_materials)$/.test(name) && result.matter) {
      return matterCard(result.matter, result.next_step);
    }
    if (name === "list_my_matters") return matterListCard(result);
    if (name === "book_appointment" && result.booking) return bookingCard(result.booking);
    if (/^(submit_request|rate_request)$/.test(name) && result.request) return requestCard(result.request);
    return null;
  }

  // ---------------------------------------------------------------------------------------------- the widget
  class Widget {
    constructor(config) {
      this.config = config;
      this.api = new Api(config.apiBase, config.siteKey);
      this.storageKey = "minfu:conversation:" + config.siteKey;
      this.conversationId = this.stored(this.storageKey);
      this.transcriptLength = 0; // the conversation's messages as GET /v1/conversations lists them (feedback index)
      this.staffShown = 0; // staff messages of the conversation already in the panel
      this.turns = 0; // turns sent so far: a poll answered across a turn is stale
      this.busy = false;
      this.restored = false;
      this.restoring = Promise.resolve();
      this.controller = null;
      this.pollTimer = null;
      this.pollUntil = 0;
      this.unread = 0;
      this.dialogOpener = null;
      this.build();
    }

    stored(key) {
      try {
        return window.sessionStorage.getItem(key);
      } catch (_) {
        return null;
      }
    }

    remember(id) {
      this.conversationId = id;
      this.store(this.storageKey, id);
      if (!id) this.store(this.storageKey + ":polling-until", null);
    }

    store(key, value) {
      try {
        if (value) window.sessionStorage.setItem(key, String(value));
        else window.sessionStorage.removeItem(key);
      } catch (_) {
        /* storage blocked: the conversation simply does not survive a reload */
      }
    }

    // ------------------------------------------------------------------------------------------ building
    build() {
      this.host = el("div", { id: "minfu-widget", "data-minfu-version": VERSION });
      this.root = this.host.attachShadow({ mode: "open" });
      adoptStyles(this.root);
      this.launcher = button("", () => this.toggle(), {
        className: "launcher",
        "aria-label": "打开闵服智能客服",
        "aria-expanded": "false",
        "aria-controls": "minfu-panel",
        "aria-haspopup": "dialog",
      });
      this.badge = el("span", { className: "badge", hidden: true, "aria-hidden": "true" });
      append(this.launcher, [icon("chat"), el("span", null, "智能客服"), this.badge]);
      this.panel = this.buildPanel();
      this.announcer = el("div", { className: "sr-only", "aria-live": "polite", "aria-atomic": "true" });
      append(this.root, [this.launcher, this.panel, this.announcer]);
      this.root.addEventListener("keydown", (event) => this.onKeydown(event));
      document.body.appendChild(this.host);
    }

    buildPanel() {
      this.status = el("p", { className: "status" }, SIGNED_OUT);
      const header = el(
        "header",
        null,
        el("div", { className: "heading" }, el("h2", { id: "minfu-title" }, this.config.title), this.status),
        button("新对话", () => this.newConversation(), { className: "header-button", "aria-label": "开始新对话" }),
        button("×", () => this.close(), { className: "header-button close", "aria-label": "关闭对话窗口" }),
      );
      // role=log would announce every streamed piece: complete messages are announced by this.announcer instead
      this.log = el("div", { className: "log", role: "log", "aria-live": "off", "aria-label": "对话记录", tabindex: "0" });
      this.dialog = el("div", { className: "dialog-layer", hidden: true });
      const attrs = { id: "minfu-panel", className: "panel", role: "dialog", "aria-labelledby": "minfu-title" };
      return el("section", Object.assign(attrs, { hidden: true }), header, this.log, this.buildComposer(), this.dialog);
    }

    buildComposer() {
      this.input = el("textarea", {
        rows: "1",
        maxlength: String(MAX_CHARS),
        "aria-label": "输入您的问题",
        placeholder: "请输入您的问题，按 Enter 发送",
        enterkeyhint: "send",
      });
      this.sendButton = el("button", { type: "submit", className: "send" }, "发送");
      const form = el("form", { className: "composer" }, this.input, this.sendButton);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendTyped();
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.sendTyped();
        }
      });
      this.input.addEventListener("input", () => this.fitInput());
      return form;
    }

    fitInput() {
      this.input.style.height = "auto";
      this.input.style.height = Math.min(this.input.scrollHeight, 120) + "px";
    }

    greet() {
      const intro = "您好，我是闵服智能客服。可以问我惠企政策、办事指南；登录企业账号后，还能在这里办理和查询办件。";
      const suggestions = el(
        "div",
        { className: "suggestions", role: "group", "aria-label": "常见问题" },
        SUGGESTIONS.map((q) => button(q, () => this.send(q), { className: "suggestion" })),
      );
      const greeting = el("div", { className: "message assistant greeting" }, el("p", { className: "bubble" }, intro));
      this.log.appendChild(append(greeting, [suggestions]));
    }

    // ------------------------------------------------------------------------------------------ open, close, keys
    open() {
      if (!this.panel.hidden) return;
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      if (this.unread) this.scrollDown(); // to the staff replies that arrived while it was closed
      this.setUnread(0);
      if (!this.log.childNodes.length) this.greet();
      if (!this.restored) this.restoring = this.restore();
      this.input.focus();
    }

    close() {
      if (this.panel.hidden) return;
      this.closeDialog();
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.setUnread(this.unread);
      this.launcher.focus();
    }

    toggle() {
      if (this.panel.hidden) this.open();
      else this.close();
    }

    onKeydown(event) {
      if (event.key === "Escape") {
        if (!this.dialog.hidden) this.closeDialog();
        else if (!this.panel.hidden) this.close();
        else return;
        event.preventDefault();
        event.stopPropagation();
      } else if (event.key === "Tab") {
        this.trapFocus(event);
      }
    }

    /** Tab cycles inside an open excerpt dialog, and inside the panel when it covers the screen (narrow screens). */
    trapFocus(event) {
      const covering = !this.panel.hidden && window.matchMedia(NARROW).matches;
      const scope = !this.dialog.hidden ? this.dialog : covering ? this.panel : null;
      if (!scope) return;
      const candidates = scope.querySelectorAll("button, textarea, input, a[href], [tabindex='0']");
      const focusable = Array.from(candidates).filter((node) => !node.disabled && node.getClientRects().length);
      if (!focusable.length) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const active = this.root.activeElement;
      const outside = !scope.contains(active);
      if (event.shiftKey && (active === first || outside)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || outside)) {
        event.preventDefault();
        first.focus();
      }
    }

    setUnread(count) {
      this.unread = count;
      this.badge.hidden = count === 0;
      this.badge.textContent = count ? String(count) : "";
      const action = this.panel.hidden ? "打开闵服智能客服" : "关闭闵服智能客服";
      this.launcher.setAttribute("aria-label", count ? `${action}（${count} 条新消息）` : action);
    }

    announce(message) {
      this.announcer.textContent = "";
      window.setTimeout(() => {
        this.announcer.textContent = message;
      }, 50);
    }

    // ------------------------------------------------------------------------------------------ identity
    setToken(token) {
      const next = typeof token === "string" && token.trim() ? token.trim() : null;
      const previous = this.api.token;
      if (next === previous) return;
      this.api.token = next;
      const name = next ? tokenName(next) : "";
      this.status.textContent = next ? "已登录：" + (name || "企业账号") : SIGNED_OUT;
      for (const retry of this.log.querySelectorAll(".turn-form:not(.retired) .retry")) retry.disabled = !next;
      if (previous && !next) {
        // the conversation now belongs to the enterprise: carrying on without its token would be refused
        this.newConversation("您已退出登录，已为您开始新的对话。");
      } else if (next && this.log.childNodes.length) {
        this.note(`已登录${name ? "为 " + name : ""}，现在可以办理和查询办件了。`);
      }
    }

    // ------------------------------------------------------------------------------------------ conversation
    newConversation(notice) {
      if (this.controller) this.controller.abort();
      this.stopPolling();
      this.remember(null);
      this.transcriptLength = 0;
      this.staffShown = 0;
      this.restored = true;
      this.log.textContent = "";
      this.greet();
      if (typeof notice === "string") this.note(notice);
      this.setBusy(false);
      if (!this.panel.hidden) this.input.focus();
    }

    /** After a reload: the stored conversation's messages, or a fresh start when it is gone or not ours. */
    async restore() {
      this.restored = true;
      if (!this.conversationId) return;
      try {
        const messages = await this.transcript();
        messages.forEach((message, index) => this.showStored(message, index));
        this.transcriptLength = messages.length;
        this.staffShown = messages.filter((m) => m.role === "staff").length;
        const pollingUntil = Number(this.stored(this.storageKey + ":polling-until"));
        if (pollingUntil > Date.now()) this.startPolling(pollingUntil); // a handoff still waits for staff
        this.scrollDown();
      } catch (_) {
        this.remember(null);
      }
    }

    async transcript() {
      const body = await this.api.request("GET", "/v1/conversations/" + encodeURIComponent(this.conversationId));
      return list(body && body.messages);
    }

    showStored(message, index) {
      if (message.role === "user") this.log.appendChild(this.userBubble(text(message.text)));
      else if (message.role === "staff") this.log.appendChild(this.staffBubble(text(message.text)));
      else this.finish(this.assistantBubble(), { answer: message.text, citations: message.citations }, index, false);
    }

    note(message) {
      this.log.appendChild(el("p", { className: "note-line", role: "status" }, message));
      this.scrollDown();
    }

    sendTyped() {
      const message = this.input.value.trim();
      if (!message || this.busy) return;
      this.input.value = "";
      this.fitInput();
      this.send(message);
    }

    /** One user message: shown at once, then the assistant's turn as it streams in. */
    async send(message) {
      message = text(message).trim().slice(0, MAX_CHARS);
      if (!message || this.busy) return;
      this.setBusy(true);
      this.turns += 1;
      this.open();
      await this.restoring; // a restored conversation's history is shown before the new message
      this.retireForms();
      this.log.appendChild(this.userBubble(message));
      const turn = { view: this.assistantBubble(), final: null, error: null, sawText: false };
      this.scrollDown();
      const controller = (this.controller = new AbortController());
      try {
        const onEvent = (name, data) => this.onEvent(turn, name, data);
        await this.api.chat(message, this.conversationId, onEvent, controller.signal, this.config.transport);
        if (!turn.final && !turn.error) throw new ApiError(0, { message: "回答中断了，请重新发送" });
      } catch (error) {
        if (error.name !== "AbortError") this.fail(turn, error);
      } finally {
        if (this.controller === controller) {
          this.controller = null;
          this.setBusy(false);
        }
      }
    }

    onEvent(turn, name, data) {
      if (name === "conversation" && data.conversation_id) this.remember(text(data.conversation_id));
      else if (name === "tool_call") this.progress(turn.view, TOOL_PROGRESS[data.name] || "正在处理…");
      else if (name === "tool_result") this.toolResult(turn.view, data);
      else if (name === "text") this.streamText(turn, text(data.delta));
      else if (name === "final") {
        turn.final = data;
        const index = this.transcriptLength + 1; // the user's message took the index before it
        this.transcriptLength += 2;
        this.finish(turn.view, data, index, true);
      } else if (name === "error") {
        turn.error = data;
        this.fail(turn, new ApiError(0, data));
      }
    }

    setBusy(busy) {
      this.busy = busy;
      this.sendButton.disabled = busy;
      this.log.setAttribute("aria-busy", busy ? "true" : "false");
    }

    scrollDown() {
      this.log.scrollTop = this.log.scrollHeight;
    }

    fail(turn, error) {
      const view = turn.view;
      view.progress.hidden = true;
      view.node.classList.add("failed");
      view.body.hidden = false;
      view.body.textContent = "";
      view.body.appendChild(el("span", { role: "alert" }, text(error.message) || "服务暂时不可用，请稍后重试"));
      if (error.status === 401) {
        const detail = { error: error.code, message: error.message };
        window.dispatchEvent(new CustomEvent("minfu:auth-error", { detail }));
      }
      this.resync();
    }

    /** After a failed turn the transcript may or may not hold the message: count it again from the service. */
    async resync() {
      if (!this.conversationId) return;
      try {
        this.transcriptLength = (await this.transcript()).length;
      } catch (_) {
        /* keep the local count */
      }
    }

    // ------------------------------------------------------------------------------------------ messages
    userBubble(message) {
      const bubble = el("p", { className: "bubble" }, message);
      return el("div", { className: "message user" }, el("span", { className: "sr-only" }, "我："), bubble);
    }

    staffBubble(message) {
      const bubble = el("p", { className: "bubble" }, message);
      return el("div", { className: "message staff" }, el("span", { className: "who" }, "人工客服"), bubble);
    }

    /** An empty assistant message with its parts, filled as the turn's events arrive. */
    assistantBubble() {
      const dots = el("span", { className: "dots", "aria-hidden": "true" });
      const view = {
        who: el("span", { className: "who" }, "闵服助手"),
        progress: el("p", { className: "progress", role: "status" }, dots, "正在思考…"),
        body: el("p", { className: "bubble", hidden: true }),
        citations: el("div", { className: "citations", role: "group", "aria-label": "引用来源" }),
        cards: el("div", { className: "cards" }),
        followUp: el("div", { className: "follow-up" }),
        actions: el("div", { className: "actions" }),
      };
      const parts = [view.who, view.progress, view.body, view.citations, view.cards, view.followUp, view.actions];
      view.node = el("div", { className: "message assistant" }, parts);
      this.log.appendChild(view.node);
      return view;
    }

    progress(view, label) {
      view.progress.lastChild.textContent = label;
    }

    streamText(turn, delta) {
      const view = turn.view;
      if (!turn.sawText) {
        turn.sawText = true;
        view.body.hidden = false;
        view.progress.hidden = true;
      }
      view.body.appendChild(document.createTextNode(delta));
      this.scrollDown();
    }

    toolResult(view, data) {
      const result = data.result || {};
      const shown = cardFor(text(data.name), result);
      if (shown) view.cards.appendChild(shown);
      if (data.name === "handoff_to_human" && data.ok && result.handoff) this.handoffStarted(view, result);
    }

    /** The final answer replaces the streamed text: [n] markers become buttons, citations become chips. */
    finish(view, final, index, live) {
      const citations = list(final.citations);
      view.progress.hidden = true;
      view.body.hidden = false;
      view.body.textContent = "";
      append(view.body, answerNodes(text(final.answer), citations, (c, opener) => this.openCitation(c, opener)));
      if (AGENTS[final.agent]) view.who.textContent = AGENTS[final.agent];
      for (const citation of citations) view.citations.appendChild(this.chip(citation));
      if (live) this.followUp(view, final.metadata || {});
      view.actions.appendChild(this.feedback(index));
      if (live) this.announce(view.who.textContent + "：" + text(final.answer));
      this.scrollDown();
    }

    followUp(view, metadata) {
      const form = metadata.form && typeof metadata.form === "object" ? metadata.form : null;
      const shown = metadata.handoff_offered ? this.handoffOffer() : form ? this.formFor(form) : null;
      if (shown) view.followUp.appendChild(shown);
    }

    chip(citation) {
      const validity = text(citation.validity);
      const label = `[${text(citation.number)}] 《${text(citation.title)}》${text(citation.article)}`;
      const chip = button(label, (event) => this.openCitation(citation, event.currentTarget), {
        className: "chip",
        "aria-haspopup": "dialog",
        "aria-label": "查看引用 " + label,
      });
      if (validity && validity !== "current") {
        chip.appendChild(el("span", { className: "validity" }, VALIDITY[validity] || validity));
      }
      return chip;
    }

    /** Thumbs up is sent at once; thumbs down first offers a few reasons (or 跳过) and is sent with the one chosen. */
    feedback(index) {
      const group = el("div", { className: "feedback", role: "group", "aria-label": "这条回答有帮助吗？" });
      const thumb = (name, label) => {
        const attrs = { className: "thumb", "aria-label": label, "aria-pressed": "false", title: label };
        return button(icon(name), () => pressed(name), attrs);
      };
      const up = thumb("up", "有帮助");
      const down = thumb("down", "没帮助");
      const pressed = (name) => {
        up.disabled = down.disabled = true;
        (name === "up" ? up : down).setAttribute("aria-pressed", "true");
        if (name === "up") this.rate(group, index, "up", null);
        else this.askReason(group, index);
      };
      return append(group, [up, down]);
    }

    askReason(group, index) {
      const reasons = el("div", { className: "reasons", role: "group", "aria-label": "哪里不好？（可跳过）" });
      const choose = (reason) => () => this.rate(group, index, "down", reason);
      for (const reason of DOWN_REASONS) reasons.appendChild(button(reason, choose(reason), { className: "reason" }));
      reasons.appendChild(button("跳过", choose(null), { className: "reason" }));
      group.appendChild(reasons);
      reasons.firstChild.focus();
    }

    async rate(group, index, rating, reason) {
      const reasons = group.querySelector(".reasons");
      if (reasons) reasons.remove();
      const result = el("span", { className: "thanks", role: "status" }, "正在提交…");
      group.appendChild(result);
      try {
        const body = { conversation_id: this.conversationId, message_index: index, rating, reason };
        await this.api.request("POST", "/v1/feedback", body);
        result.textContent = "感谢您的反馈";
      } catch (error) {
        result.textContent = text(error.message) || "反馈提交失败";
      }
    }

    // ------------------------------------------------------------------------------------------ citations
    openCitation(citation, opener) {
      const heading = `[${text(citation.number)}] 《${text(citation.title)}》${text(citation.article)}`;
      const close = button("×", () => this.closeDialog(), { className: "header-button close", "aria-label": "关闭引用" });
      const details = el(
        "dl",
        null,
        field("文号", text(citation.doc_number) || "无"),
        field("章节", list(citation.section).map(text).join(" / ")),
        field("施行日期", text(citation.effective_from) || "未注明"),
        field("效力", VALIDITY[text(citation.validity)] || text(citation.validity)),
        field("来源", link(citation.source)),
      );
      const titleId = randomId("minfu-citation");
      const content = el(
        "div",
        { className: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
        el("div", { className: "dialog-head" }, el("h3", { id: titleId }, heading), close),
        el("blockquote", { className: "excerpt" }, text(citation.excerpt)),
        details,
      );
      this.dialog.textContent = "";
      this.dialog.appendChild(content);
      this.dialog.hidden = false;
      this.dialogOpener = opener || null;
      close.focus();
    }

    closeDialog() {
      if (this.dialog.hidden) return;
      this.dialog.hidden = true;
      this.dialog.textContent = "";
      if (this.dialogOpener && this.dialogOpener.isConnected) this.dialogOpener.focus();
      this.dialogOpener = null;
    }

    // ------------------------------------------------------------------------------------------ forms
    /** Only the latest answer's form can be used: an older one would answer a question no longer asked. */
    retireForms() {
      for (const form of this.log.querySelectorAll(".turn-form")) {
        for (const control of form.querySelectorAll("button, input")) control.disabled = true;
        form.classList.add("retired");
      }
    }

    /** The form for what the assistant asks: its value is sent as the next message, as if typed. */
    formFor(form) {
      const asking = text(form.asking);
      const options = list(form.options);
      if (form.kind === "retry") return this.loginRetry();
      if (asking === "confirm") return this.choices("请确认", [["确认", "确认"], ["取消", "取消"]]);
      if (asking === "offer") return this.choices("现在开始办理吗？", [["需要，开始办理", "需要"], ["暂不需要", "不需要"]]);
      if (asking === "provided" && options.length) return this.materialsForm(options);
      if (options.length) {
        return this.choices(FIELD_LABELS[asking] || "请选择", options.map((o) => [text(o.label), text(o.label)]));
      }
      return asking ? this.inputForm(asking) : null;
    }

    choices(legend, pairs) {
      const group = el("div", { className: "turn-form choices", role: "group", "aria-label": legend });
      for (const [label, value] of pairs) {
        group.appendChild(button(label, () => this.send(value), { className: "choice" }));
      }
      return group;
    }

    inputForm(asking) {
      const id = randomId("minfu-field");
      const phone = /phone/.test(asking);
      const input = el("input", {
        id,
        name: asking,
        type: phone ? "tel" : "text",
        inputmode: phone ? "tel" : asking === "score" ? "numeric" : null,
        autocomplete: phone ? "tel" : asking === "contact_name" ? "name" : "off",
        placeholder: PLACEHOLDERS[asking] || null,
        maxlength: "200",
        required: true,
      });
      const submit = el("button", { type: "submit", className: "choice" }, "提交");
      const form = el(
        "form",
        { className: "turn-form field-form", "data-asking": asking },
        el("label", { for: id }, FIELD_LABELS[asking] || "请填写"),
        el("div", { className: "field-row" }, input, submit),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (input.value.trim()) this.send(input.value.trim());
      });
      window.setTimeout(() => input.focus(), 0);
      return form;
    }

    materialsForm(options) {
      const boxes = options.map((option) => {
        const id = randomId("minfu-material");
        const box = el("input", { type: "checkbox", id, value: text(option.label) });
        return el("div", { className: "check" }, box, el("label", { for: id }, text(option.label)));
      });
      const legend = el("p", { className: "legend" }, FIELD_LABELS.provided);
      const submit = el("button", { type: "submit", className: "choice" }, "提交");
      const form = el("form", { className: "turn-form materials" }, legend, boxes, submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const chosen = Array.from(form.querySelectorAll("input:checked"), (box) => box.value);
        if (chosen.length) this.send(chosen.join("、"));
      });
      return form;
    }

    /** A request refused for want of a login: "continue" repeats it, and is enabled once the portal signs in. */
    loginRetry() {
      const attrs = { className: "choice primary retry", disabled: !this.api.token };
      const go = button("我已登录，继续办理", () => this.send("我登录了"), attrs);
      if (!this.api.token) window.dispatchEvent(new CustomEvent("minfu:login-required"));
      const notice = el("p", null, "请先在门户页面登录企业账号，登录后点击继续。");
      return el("div", { className: "turn-form notice", role: "note", "aria-label": "需要登录" }, notice, go);
    }

    // ------------------------------------------------------------------------------------------ handoff
    handoffOffer() {
      const yes = button("转人工服务", () => this.send("是"), { className: "choice primary" });
      const no = button("不用了", () => this.send("不用了"), { className: "choice" });
      return el(
        "div",
        { className: "turn-form handoff", role: "note", "aria-label": "转人工服务" },
        el("p", null, "没能解决您的问题？可以转接人工服务（帮办专员），也可拨打 12345 热线。"),
        el("div", { className: "choices" }, yes, no),
      );
    }

    /** What happens next after a handoff; the conversation is queued for staff, whose replies are polled for. */
    handoffStarted(view, result) {
      const ticket = result.request && result.request.ticket_number;
      const lines = [
        ticket ? "诉求编号：" + text(ticket) : "",
        "专员接手后会在这里回复您，请保持页面打开。",
        "紧急情况可拨打服务热线 " + text(result.hotline || "12345"),
      ];
      const notice = el("div", { className: "handoff-notice", role: "status" }, el("h4", null, "已转人工服务"));
      view.cards.appendChild(append(notice, lines.filter(Boolean).map((line) => el("p", null, line))));
      this.startPolling();
    }

    startPolling(until) {
      this.pollUntil = until || Date.now() + POLL_FOR_MS;
      this.store(this.storageKey + ":polling-until", this.pollUntil); // a reload keeps looking for staff replies
      if (!this.pollTimer) this.pollTimer = window.setInterval(() => this.poll(), POLL_MS);
    }

    stopPolling() {
      if (this.pollTimer) window.clearInterval(this.pollTimer);
      this.pollTimer = null;
    }

    /** New staff messages, shown in the panel (and counted on the button while it is closed); the count resyncs. */
    async poll() {
      if (Date.now() > this.pollUntil || !this.conversationId) return this.stopPolling();
      if (this.busy || document.visibilityState === "hidden") return;
      const turns = this.turns;
      let messages;
      try {
        messages = await this.transcript();
      } catch (_) {
        return;
      }
      if (this.busy || turns !== this.turns) return; // a turn ran meanwhile: poll again after it
      // counted by role, not position: a reply that landed during a turn is neither lost nor shown twice
      const fresh = messages.filter((m) => m.role === "staff").slice(this.staffShown);
      this.staffShown += fresh.length;
      this.transcriptLength = messages.length;
      for (const message of fresh) {
        this.log.appendChild(this.staffBubble(text(message.text)));
        this.announce("人工客服：" + text(message.text));
      }
      if (!fresh.length) return;
      if (this.panel.hidden) this.setUnread(this.unread + fresh.length);
      this.scrollDown();
    }
  }

  // ---------------------------------------------------------------------------------------------- styles
  const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", system-ui, sans-serif';
  const CSS = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.launcher, .panel { font-family: ${FONT}; font-size: 14px; line-height: 1.6; color: #1f2933; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; border: 0; }
button { font: inherit; cursor: pointer; }
button:disabled { cursor: default; opacity: .55; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.icon { width: 18px; height: 18px; fill: currentColor; vertical-align: middle; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex; align-items: center;
  gap: 6px; min-height: 52px; padding: 0 18px; border: 0; border-radius: 26px; background: #b3261e; color: #fff;
  box-shadow: 0 6px 20px rgba(0,0,0,.25); font-size: 15px; }
.launcher .icon { width: 22px; height: 22px; fill: none; stroke: currentColor; stroke-width: 2;
  stroke-linejoin: round; }
.badge { min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px; background: #fff; color: #b3261e;
  font-size: 12px; line-height: 20px; text-align: center; font-weight: 700; }
.panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483001; display: flex; flex-direction: column;
  width: min(400px, calc(100vw - 40px)); height: min(640px, calc(100vh - 104px)); background: #fff;
  border-radius: 12px; box-shadow: 0 12px 40px rgba(0,0,0,.28); overflow: hidden; }
header { display: flex; align-items: center; gap: 6px; padding: 10px 10px 10px 16px; background: #b3261e;
  color: #fff; }
.heading { flex: 1; min-width: 0; }
h2 { margin: 0; font-size: 16px; font-weight: 600; }
.status { margin: 0; font-size: 12px; opacity: .9; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.header-button { min-width: 44px; min-height: 36px; padding: 0 8px; border: 1px solid rgba(255,255,255,.6);
  border-radius: 6px; background: transparent; color: inherit; font-size: 13px; }
.header-button.close { font-size: 20px; line-height: 1; }
.log { flex: 1; overflow-y: auto; overflow-x: hidden; padding: 12px; background: #f6f7f9;
  overscroll-behavior: contain; }
.message { display: flex; flex-direction: column; margin: 0 0 14px; max-width: 100%; }
.message.user { align-items: flex-end; }
.bubble { margin: 0; padding: 9px 12px; border-radius: 10px; background: #fff; white-space: pre-wrap;
  overflow-wrap: anywhere; max-width: 92%; border: 1px solid #e4e7eb; }
.user .bubble { background: #b3261e; color: #fff; border-color: #b3261e; }
.staff .bubble { background: #fff8e1; border-color: #f0c36d; }
.failed .bubble { background: #fdecea; border-color: #f5b5ae; color: #8a1c13; }
.who { font-size: 12px; color: #616e7c; margin: 0 0 3px 2px; }
.progress { margin: 0; font-size: 13px; color: #616e7c; }
.dots::before { content: "···"; display: inline-block; margin-right: 6px; animation: blink 1.2s infinite; }
@keyframes blink { 50% { opacity: .3; } }
@media (prefers-reduced-motion: reduce) { .dots::before { animation: none; } }
.ref { padding: 0 1px; border: 0; background: none; color: #0b5cad; font-size: 12px; line-height: 1;
  vertical-align: super; text-decoration: underline; }
.citations { display: flex; flex-wrap: wrap; gap: 6px; max-width: 92%; }
.citations:not(:empty) { margin-top: 6px; }
.chip { max-width: 100%; padding: 4px 10px; border: 1px solid #9fb3c8; border-radius: 14px; background: #eef4fb;
  color: #0b4a8b; font-size: 12px; text-align: left; overflow-wrap: anywhere; }
.validity { margin-left: 4px; padding: 0 4px; border-radius: 4px; background: #fdecea; color: #8a1c13; }
.cards { display: flex; flex-direction: column; gap: 8px; max-width: 92%; }
.cards:not(:empty) { margin-top: 8px; }
.card { padding: 10px 12px; border: 1px solid #d9e2ec; border-left: 4px solid #b3261e; border-radius: 8px;
  background: #fff; }
.card .card { border-left-width: 1px; margin-top: 6px; }
.card h4, .handoff-notice h4 { margin: 0 0 6px; font-size: 14px; }
.card h5 { margin: 8px 0 2px; font-size: 13px; color: #3e4c59; }
.card ul, .card ol { margin: 0; padding-left: 20px; }
.card p { margin: 6px 0 0; }
dl { margin: 0; }
.field { display: flex; gap: 8px; }
dt { flex: none; width: 5em; color: #616e7c; }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.state { font-weight: 600; color: #b3261e; }
.note, .note-line { font-size: 12px; color: #7b8794; }
.note-line { text-align: center; margin: 0 0 12px; }
a { color: #0b5cad; overflow-wrap: anywhere; }
.follow-up { max-width: 92%; }
.turn-form { margin-top: 8px; }
.turn-form.retired { opacity: .6; }
.choices { display: flex; flex-wrap: wrap; gap: 6px; }
.choice, .suggestion, .reason { min-height: 36px; padding: 4px 12px; border: 1px solid #b3261e; border-radius: 18px;
  background: #fff; color: #b3261e; text-align: left; overflow-wrap: anywhere; }
.choice.primary { background: #b3261e; color: #fff; }
.suggestions { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; margin-top: 8px; }
.field-form label, .legend { display: block; margin: 0 0 4px; font-size: 13px; color: #3e4c59; }
.field-row { display: flex; gap: 6px; }
.field-row input { flex: 1; min-width: 0; min-height: 36px; padding: 4px 10px; border: 1px solid #9aa5b1;
  border-radius: 6px; font: inherit; }
.check { display: flex; align-items: center; gap: 6px; }
.handoff, .handoff-notice, .notice { padding: 10px 12px; border: 1px solid #f0c36d; border-radius: 8px;
  background: #fff8e1; }
.handoff p, .handoff-notice p, .notice p { margin: 0 0 6px; }
.feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin-top: 4px; }
.thumb { display: inline-flex; align-items: center; justify-content: center; min-width: 36px; min-height: 32px;
  border: 1px solid transparent; border-radius: 6px; background: none; color: #7b8794; }
.thumb:hover:not(:disabled) { color: #3e4c59; }
.thumb[aria-pressed="true"] { border-color: #9aa5b1; background: #fff; color: #b3261e; opacity: 1; }
.reasons { display: flex; flex-wrap: wrap; gap: 4px; }
.reason { min-height: 30px; font-size: 12px; }
.thanks { font-size: 12px; color: #616e7c; }
.composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e4e7eb; background: #fff; }
textarea { flex: 1; min-width: 0; min-height: 40px; max-height: 120px; padding: 8px 10px; border: 1px solid #9aa5b1;
  border-radius: 8px; font: inherit; resize: none; }
.send { flex: none; min-width: 64px; min-height: 40px; border: 0; border-radius: 8px; background: #b3261e;
  color: #fff; }
.dialog-layer { position: absolute; inset: 0; display: flex; align-items: flex-end; background: rgba(15,23,42,.45); }
.dialog { width: 100%; max-height: 85%; overflow-y: auto; padding: 14px 16px 18px; border-radius: 12px 12px 0 0;
  background: #fff; }
.dialog-head { display: flex; align-items: flex-start; gap: 8px; }
.dialog-head .close { color: #3e4c59; border-color: #cbd2d9; }
h3 { flex: 1; margin: 0 0 8px; font-size: 15px; overflow-wrap: anywhere; }
.excerpt { margin: 0 0 10px; padding: 8px 12px; border-left: 4px solid #9fb3c8; background: #f6f7f9;
  white-space: pre-wrap; overflow-wrap: anywhere; }
@media ${NARROW} {
  .panel { inset: 0; width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; }
  .launcher { right: 12px; bottom: 12px; }
  .bubble, .cards, .citations, .follow-up { max-width: 100%; }
}
`;

  /** Constructable style sheets where supported (a host's CSP style-src does not apply to them), else <style>. */
  function adoptStyles(root) {
    if ("adoptedStyleSheets" in root && window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", null, CSS));
    }
  }

  // ---------------------------------------------------------------------------------------------- start
  function readConfig(tag) {
    const data = (tag && tag.dataset) || {};
    const src = new URL(tag && tag.src ? tag.src : window.location.href, window.location.href);
    return {
      siteKey: text(data.siteKey).trim(),
      apiBase: text(data.apiBase).trim() || src.origin,
      title: text(data.title).trim() || "闵服 · 政务智能客服",
      transport: data.transport === "json" ? "json" : "stream",
    };
  }

  function start() {
    const config = readConfig(script);
    if (!config.siteKey) {
      console.error("minfu widget: 缺少 data-site-key 属性，对话组件未加载");
      return;
    }
    const widget = new Widget(config);
    window.MinfuWidget = Object.freeze({
      version: VERSION,
      open: () => widget.open(),
      close: () => widget.close(),
      toggle: () => widget.toggle(),
      setToken: (token) => widget.setToken(token),
      ask: (message) => widget.send(message),
    });
    window.dispatchEvent(new CustomEvent("minfu:ready"));
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
