/*
 * The staff console: the handoff queue, the whole conversation of one handoff (claim, reply, close), suggested
 * answers that staff adopt as curated answers (as they are or edited), and today's figures.
 *
 * The page holds no secret: staff type their API key, which is checked against GET /v1/staff/stats and kept in
 * sessionStorage (this tab only). Every text from the service is put on the page with textContent, never parsed as
 * HTML. The queue is refreshed every few seconds; a handoff's transcript only when it is opened or acted on, since
 * every transcript read is written to the audit log.
 */
(() => {
  "use strict";

  const STORAGE_KEY = "minfu-console:key";
  const REFRESH_MS = 4000;
  const FIGURES = ["questions", "unanswered", "handoffs", "thumbs_up", "thumbs_down"];
  const STATUS_NAMES = { waiting: "待接手", claimed: "已接手", closed: "已关闭" };
  const ROLE_NAMES = { user: "用户", assistant: "智能客服", staff: "人工客服" };
  const REASON_NAMES = { curated: "标准答复", grounded: "知识库", ungrounded: "无依据" };
  const $ = (id) => document.getElementById(id);

  let apiKey = stored();
  let openHandoff = null;
  let suggestion = null;
  let timer = null;

  class ApiError extends Error {
    constructor(status, body) {
      super((body && typeof body.message === "string" && body.message) || "服务暂时不可用，请稍后重试");
      this.status = status;
    }
  }

  function stored() {
    try {
      return window.sessionStorage.getItem(STORAGE_KEY);
    } catch (_) {
      return null;
    }
  }

  function remember(key) {
    try {
      if (key) window.sessionStorage.setItem(STORAGE_KEY, key);
      else window.sessionStorage.removeItem(STORAGE_KEY);
    } catch (_) {
      /* storage blocked: the key lasts until the page is reloaded */
    }
  }

  async function call(method, path, body) {
    const headers = { "X-API-Key": apiKey || "" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch("/v1/staff" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (_) {
      throw new ApiError(0, { message: "网络连接失败，请检查网络后重试" });
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function clockTime(iso) {
    return typeof iso === "string" ? iso.slice(0, 16).replace("T", " ") : "";
  }

  // signing in ------------------------------------------------------------------------------------------------------
  function signInMessage(error) {
    if (error.status === 401) return "API 密钥无效或已停用，请检查后重新输入";
    if (error.status === 403) return "该密钥没有坐席权限，请使用坐席或管理员密钥";
    return error.message;
  }

  async function signIn(key) {
    apiKey = key;
    try {
      showFigures(await call("GET", "/stats"));
    } catch (error) {
      apiKey = null;
      remember(null);
      throw error;
    }
    remember(key);
    $("signin").hidden = true;
    $("workspace").hidden = false;
    $("sign-out").hidden = false;
    $("who").textContent = "已登录";
    refreshQueue();
    loadCurated();
    timer = window.setInterval(refresh, REFRESH_MS);
  }

  async function onSignIn(event) {
    event.preventDefault();
    const key = $("api-key").value.trim();
    $("signin-error").textContent = "";
    try {
      await signIn(key);
      $("api-key").value = "";
      $("queue-title").focus();
    } catch (error) {
      $("signin-error").textContent = signInMessage(error);
    }
  }

  function signOut() {
    window.clearInterval(timer);
    apiKey = null;
    openHandoff = null;
    remember(null);
    $("workspace").hidden = true;
    $("sign-out").hidden = true;
    $("signin").hidden = false;
    $("who").textContent = "";
    $("detail-body").hidden = true;
    $("api-key").focus();
  }

  function signedOutBy(error) {
    if (error.status !== 401) return false;
    signOut();
    $("signin-error").textContent = "登录已失效，请重新输入 API 密钥";
    return true;
  }

  // figures and queue -----------------------------------------------------------------------------------------------
  function showFigures(figures) {
    for (const name of FIGURES) $("fig-" + name).textContent = String(Number(figures[name]) || 0);
  }

  async function refresh() {
    try {
      showFigures(await call("GET", "/stats"));
      await refreshQueue();
    } catch (error) {
      if (!signedOutBy(error)) $("queue-note").textContent = error.message;
    }
  }

  async function refreshQueue() {
    const [waiting, claimed] = await Promise.all([
      call("GET", "/handoffs?status=waiting"),
      call("GET", "/handoffs?status=claimed"),
    ]);
    showQueue(waiting.handoffs.concat(claimed.handoffs));
  }

  function showQueue(handoffs) {
    const queue = $("queue");
    const focused = document.activeElement && document.activeElement.dataset.handoff;
    queue.replaceChildren(...handoffs.map(queueItem));
    $("queue-note").textContent = handoffs.length ? `共 ${handoffs.length} 个会话` : "暂无待处理的会话";
    const again = focused && queue.querySelector(`button[data-handoff="${Number(focused)}"]`);
    if (again) again.focus(); // a refresh does not take the keyboard away
  }

  function queueItem(handoff) {
    const button = el("button", "", `#${handoff.id} ${handoff.preview || "（无内容）"}`);
    button.type = "button";
    button.dataset.handoff = String(handoff.id);
    const owner = handoff.claimed_by ? ` · ${handoff.claimed_by}` : "";
    const meta = `${STATUS_NAMES[handoff.status] || handoff.status}${owner} · ${clockTime(handoff.created_at)}`;
    button.append(el("span", "meta", `${meta} · ${handoff.message_count} 条消息`));
    button.setAttribute("aria-current", openHandoff && openHandoff.id === handoff.id ? "true" : "false");
    button.addEventListener("click", () => openOne(handoff.id));
    const item = el("li");
    item.append(button);
    return item;
  }

  // one handoff -----------------------------------------------------------------------------------------------------
  async function openOne(id) {
    await act(() => call("GET", `/handoffs/${id}`));
    $("transcript").focus();
  }

  async function act(request) {
    $("detail-error").textContent = "";
    try {
      showHandoff(await request());
    } catch (error) {
      if (!signedOutBy(error)) $("detail-error").textContent = error.message;
    }
  }

  function showHandoff(handoff) {
    openHandoff = handoff;
    $("detail-body").hidden = false;
    const owner = handoff.claimed_by ? `，接手人 ${handoff.claimed_by}` : "";
    $("detail-note").textContent = `会话 #${handoff.id}：${STATUS_NAMES[handoff.status] || handoff.status}${owner}`;
    if (Array.isArray(handoff.messages)) $("transcript").replaceChildren(...handoff.messages.map(messageItem));
    const closed = handoff.status === "closed";
    $("claim").disabled = handoff.status !== "waiting";
    $("close").disabled = closed;
    $("reply-form").hidden = closed;
    const list = $("transcript");
    list.scrollTop = list.scrollHeight;
  }

  function messageItem(message) {
    const item = el("li", message.role);
    item.append(el("span", "who", ROLE_NAMES[message.role] || message.role), document.createTextNode(message.text));
    return item;
  }

  async function onReply(event) {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!openHandoff || !text) return;
    await act(() => call("POST", `/handoffs/${openHandoff.id}/reply`, { text }));
    if (!$("detail-error").textContent) $("reply-text").value = "";
    refresh();
  }

  async function onClaim() {
    if (openHandoff) await act(() => call("POST", `/handoffs/${openHandoff.id}/claim`));
    refresh();
  }

  async function onClose() {
    if (openHandoff) await act(() => call("POST", `/handoffs/${openHandoff.id}/close`));
    refresh();
  }

  // suggestions and curated answers ---------------------------------------------------------------------------------
  async function onSuggest(event) {
    event.preventDefault();
    const question = $("suggest-question").value.trim();
    $("suggest-error").textContent = "";
    $("suggest-note").textContent = "正在生成建议答复…";
    try {
      showSuggestion(question, await call("POST", "/suggest", { question }));
      $("suggest-note").textContent = "";
    } catch (error) {
      $("suggest-note").textContent = "";
      if (!signedOutBy(error)) $("suggest-error").textContent = error.message;
    }
  }

  function showSuggestion(question, found) {
    suggestion = { question, citations: Array.isArray(found.citations) ? found.citations : [] };
    const answer = $("suggest-answer");
    answer.value = found.answer || "";
    answer.readOnly = true;
    $("adopt-edited").textContent = "修改后采纳";
    const percent = Math.round((Number(found.confidence) || 0) * 100);
    const reason = REASON_NAMES[found.reason] || found.reason || "";
    $("suggest-confidence").textContent = `置信度：${percent}%${reason ? "（" + reason + "）" : ""}`;
    const sources = suggestion.citations.map(sourceItem);
    $("suggest-sources").replaceChildren(...(sources.length ? sources : [el("li", "", "无引用依据")]));
    $("suggestion").hidden = false;
  }

  function sourceItem(citation) {
    const article = citation.article ? " " + citation.article : "";
    const number = citation.doc_number ? `（${citation.doc_number}）` : "";
    return el("li", "", `[${citation.number || "-"}] 《${citation.title || "未命名文件"}》${number}${article}`);
  }

  function onAdoptEdited() {
    const answer = $("suggest-answer");
    if (!answer.readOnly) return adopt();
    answer.readOnly = false;
    $("adopt-edited").textContent = "保存修改并采纳";
    answer.focus();
  }

  async function adopt() {
    const answer = $("suggest-answer").value.trim();
    if (!suggestion || !answer) return;
    $("suggest-error").textContent = "";
    try {
      const body = { question: suggestion.question, answer, citations: suggestion.citations };
      const saved = await call("POST", "/curated", body);
      $("suggestion").hidden = true;
      suggestion = null;
      $("suggest-note").textContent = `已采纳为标准答复 #${saved.id}`;
      loadCurated();
    } catch (error) {
      if (!signedOutBy(error)) $("suggest-error").textContent = error.message;
    }
  }

  async function loadCurated() {
    try {
      const answers = (await call("GET", "/curated")).curated;
      const items = answers.map(curatedItem);
      $("curated").replaceChildren(...(items.length ? items : [el("li", "", "暂无标准答复")]));
    } catch (error) {
      if (!signedOutBy(error)) $("curated").replaceChildren(el("li", "error", error.message));
    }
  }

  function curatedItem(answer) {
    const item = el("li");
    const validity = answer.valid ? "有效" : `已失效：${answer.invalidated_reason || "依据已变更"}`;
    item.append(
      el("strong", "", `#${answer.id} ${answer.question}`),
      el("div", "answer", answer.answer),
      el("span", "meta", `${validity} · ${answer.created_by} · ${clockTime(answer.created_at)}`),
    );
    return item;
  }

  // wiring ----------------------------------------------------------------------------------------------------------
  $("signin-form").addEventListener("submit", onSignIn);
  $("sign-out").addEventListener("click", signOut);
  $("reply-form").addEventListener("submit", onReply);
  $("claim").addEventListener("click", onClaim);
  $("close").addEventListener("click", onClose);
  $("suggest-form").addEventListener("submit", onSuggest);
  $("adopt").addEventListener("click", adopt);
  $("adopt-edited").addEventListener("click", onAdoptEdited);
  for (const id of ["queue-title", "transcript"]) $(id).tabIndex = -1;
  if (apiKey) signIn(apiKey).catch((error) => ($("signin-error").textContent = signInMessage(error)));
})();
