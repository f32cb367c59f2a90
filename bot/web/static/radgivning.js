/*
 * The counselling view (/radgivning): the criteria panel beside the inline chat.
 *
 * The panel keeps no state of its own: it shows what POST /api/checklist reads from
 * the conversation's tracker, fetched on load, after every answer of the bot
 * ("asf-chat:reply") and when a new conversation starts ("asf-chat:session"). Changing
 * an answer goes through the chat (the criterion's change_payload), so the chat and
 * the panel always tell the same story. Every text comes from radgivning.html.
 */
(function () {
  "use strict";

  var chat = window.asfChat;
  var section = document.getElementById("criteria");
  if (!chat || !section) {
    return;
  }
  var TEXT = {};
  Object.keys(section.dataset).forEach(function (key) {
    if (key.indexOf("text") === 0) {
      TEXT[key.charAt(4).toLowerCase() + key.slice(5)] = section.dataset[key];
    }
  });
  var endpoint = "/api/checklist";
  var list = document.getElementById("criteria-list");
  var status = document.getElementById("criteria-status");
  var retry = document.getElementById("criteria-retry");
  var start = document.getElementById("criteria-start");
  var verdict = document.getElementById("verdict");
  var verdictText = document.getElementById("verdict-text");
  var live = document.getElementById("criteria-live");
  var ICONS = { uppfyllt: "✓", inte_uppfyllt: "✗", oklart: "?" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // ---- the panel ----

  // What each item shows now, to rebuild only the items that changed (a rebuilt
  // button would lose the keyboard focus, and a screen reader its place).
  var shown = {};
  var known = false; // false until the first answer: nothing is announced on load
  var wasComplete = false;

  function answerLine(item, asking) {
    if (item.answer_text) {
      return TEXT.answer + " " + item.answer_text;
    }
    return asking ? TEXT.asking : TEXT.unanswered;
  }

  function itemNode(item, number, asking) {
    var li = el("li", "criterion");
    li.setAttribute("data-criterion", item.criterion);
    if (item.outcome) {
      li.classList.add("criterion--" + item.outcome.replace(/_/g, "-"));
    }
    if (asking) {
      li.classList.add("criterion--asking");
    }
    // Only an answer given can be changed: the form asks unanswered questions itself.
    var answered = Boolean(item.answer && item.change_payload);
    var body = answered ? el("button", "criterion__body") : el("div", "criterion__body");
    if (answered) {
      body.type = "button";
      body.addEventListener("click", function () {
        chat.send(item.change_payload, TEXT.changing + " " + item.label);
        chat.focusInput();
      });
    }
    if (asking) {
      body.setAttribute("aria-current", "step");
    }
    var icon = el("span", "criterion__icon", item.outcome ? ICONS[item.outcome] || "" : "–");
    icon.setAttribute("aria-hidden", "true");
    body.appendChild(icon);
    var text = el("span", "criterion__text");
    text.appendChild(el("span", "criterion__label", number + ". " + item.label));
    text.appendChild(el("span", "criterion__answer", answerLine(item, asking)));
    if (item.outcome_text) {
      text.appendChild(el("span", "criterion__outcome", TEXT.outcome + " " + item.outcome_text));
    }
    body.appendChild(text);
    if (answered) {
      body.appendChild(el("span", "criterion__change", TEXT.change));
    }
    li.appendChild(body);
    return li;
  }

  function announce(text) {
    live.textContent = "";
    // A fresh node each time, so the same words said twice are read twice.
    live.appendChild(el("p", null, text));
  }

  function show(data) {
    status.hidden = true;
    retry.hidden = true;
    var criteria = Array.isArray(data.criteria) ? data.criteria : [];
    var changes = [];
    criteria.forEach(function (item, index) {
      var asking = data.asking === item.criterion;
      var key = [item.label, item.answer || "", item.outcome || "", asking].join("|");
      var old = list.querySelector('[data-criterion="' + item.criterion + '"]');
      if (old && shown[item.criterion] === key) {
        return;
      }
      if (known && (!old || shown[item.criterion].split("|")[1] !== (item.answer || ""))) {
        changes.push(item.label + ": " + answerLine(item, false));
      }
      var hadFocus = old && old.contains(document.activeElement);
      var node = itemNode(item, index + 1, asking);
      if (old) {
        list.replaceChild(node, old);
      } else {
        list.appendChild(node);
      }
      shown[item.criterion] = key;
      var button = node.querySelector("button");
      if (hadFocus && button) {
        button.focus();
      }
    });

    var answered = criteria.filter(function (item) {
      return item.answer;
    }).length;
    if (!data.asking && !data.complete) {
      start.textContent = answered ? TEXT.resume : TEXT.start;
      start.hidden = false;
    } else {
      start.hidden = true;
    }
    if (data.complete && data.verdict) {
      verdictText.textContent = data.verdict;
      verdict.hidden = false;
    } else {
      verdict.hidden = true;
      verdictText.textContent = "";
    }
    if (data.complete && !wasComplete && known) {
      changes.push(TEXT.complete);
    }
    wasComplete = Boolean(data.complete);
    if (changes.length) {
      announce(changes.join(" "));
    }
    known = true;
  }

  function clear() {
    list.textContent = "";
    shown = {};
    known = false;
    wasComplete = false;
    verdict.hidden = true;
    verdictText.textContent = "";
    start.hidden = true;
    live.textContent = "";
  }

  function unavailable() {
    status.textContent = TEXT.unavailable;
    status.hidden = false;
    retry.hidden = false;
  }

  // ---- reading the conversation ----

  var asked = 0; // only the answer to the latest request is shown

  function refresh() {
    var mine = ++asked;
    var session = chat.session();
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ session: session })
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(
        function (data) {
          if (mine === asked && session === chat.session() && data) {
            show(data);
          }
        },
        function () {
          if (mine === asked) {
            unavailable();
          }
        }
      );
  }

  // The summary's tab, closed when the meeting ends: the next founder does not find it.
  var summaryTab = null;

  document.addEventListener("asf-chat:reply", refresh);
  document.addEventListener("asf-chat:session", function (event) {
    if (event.detail && event.detail.ended && summaryTab && !summaryTab.closed) {
      summaryTab.close();
      summaryTab = null;
    }
    clear();
    refresh();
  });
  retry.addEventListener("click", function () {
    status.textContent = TEXT.loading;
    retry.hidden = true;
    refresh();
  });
  start.addEventListener("click", function () {
    chat.send("/start_checklist", start.textContent);
    chat.focusInput();
  });

  // ---- the meeting's buttons ----

  // The session goes in the POST body, never in a URL: URLs reach logs.
  Array.prototype.forEach.call(document.querySelectorAll(".meeting__form"), function (form) {
    form.addEventListener("submit", function () {
      form.elements.session.value = chat.session();
      if (form.target && form.target !== "_self") {
        // Opened here, so that this page may close it again (see above); the form's
        // POST then loads into it. Blocked: the form opens its own tab.
        var tab = window.open("", form.target);
        summaryTab = tab || summaryTab;
      }
    });
  });

  var sendSummary = document.getElementById("send-summary");
  sendSummary.addEventListener("click", function () {
    chat.send("/send_summary", sendSummary.getAttribute("data-shown"));
    chat.focusInput();
  });

  var end = document.getElementById("end-meeting");
  end.addEventListener("click", function () {
    chat.confirmEnd(
      {
        title: end.getAttribute("data-confirm-title"),
        text: end.getAttribute("data-confirm-text"),
        confirm: end.getAttribute("data-confirm"),
        shown: end.getAttribute("data-shown")
      },
      end
    );
  });

  refresh();
})();
