/*
 * ASF-hjälpen chat widget. Any page embeds it with one tag:
 *
 *   <script src="https://chatt.example.se/static/widget.js"
 *           data-bot-url="https://chatt.example.se/" data-title="ASF-hjälpen"
 *           data-lang="sv" defer></script>
 *
 * data-bot-url: the ASF-hjälpen web app (its /api/chat and /integritet), by default
 * where this script came from. Plain JavaScript, no dependencies, no build step.
 *
 * data-mode="inline" with data-container="<element id>" shows the chat inside that
 * element, always open, instead of behind the floating launcher (the counselling view,
 * /radgivning). Both modes share the session id and history in localStorage. A page
 * that builds on the chat uses window.asfChat (session, send, confirmEnd, focusInput)
 * and listens on document for "asf-chat:reply" (after every answer of the bot) and
 * "asf-chat:session" (a new conversation has started; detail.ended: the old one was
 * erased).
 *
 * Under each answer to a question (the chat API marks them: `answer`, with the name
 * of the `response`) the widget asks "Fick du svar på din fråga?" with 👍 Ja / 👎 Nej,
 * and posts the vote to /api/feedback; a vote can be changed, and is kept in the
 * history with its answer. 👎 under the latest answer also sends "det hjälpte inte"
 * (/not_helpful) through the chat, as the visitor's own step, so the bot offers to hand
 * the question to staff.
 *
 * Languages: the conversation is in Swedish, English or lättläst (easy-to-read)
 * Swedish. Rasa decides from the conversation (an English message switches to English)
 * and tells it with every answer (`lang` sv|en, `reading` standard|lattlast); the
 * widget then shows its own texts (served in it from bot/web/messages.yml) in that
 * variant, sets its `lang` and `data-lang` (and `data-reading`) attributes, and keeps
 * the choice in localStorage. Four buttons choose: "På svenska" / "In English"
 * (/choose_swedish, /choose_english) and "Vanlig svenska" / "Lättläst"
 * (/choose_standard_swedish, /choose_easy_swedish). data-lang="en" on the script tag
 * starts a new visitor in English. With data-page-lang="follow" the host page's
 * <html lang> follows too (a page whose own content is in one language leaves it out).
 *
 * Every message, the bot's and the visitor's, is put on the page as text: nodes are
 * built with createElement and textContent, never innerHTML, so no markup or script
 * in a message can run.
 */
(function () {
  "use strict";

  // The widget's own texts in its three variants, {"sv": {...}, "en": ..., "lattlast": ...},
  // from bot/web/messages.yml: the web app puts them here when it serves this file.
  var TEXTS = /* ASF_WIDGET_TEXTS */ null;
  // The texts of the variant the conversation is in (see setChoice).
  var TEXT = TEXTS && TEXTS.sv;
  var STORAGE = "asf-chat:";
  var MAX_HISTORY = 200;
  // Links in the bot's text: web addresses, e-mail addresses and bare domains such
  // as tillvaxtverket.se/personuppgifter.
  var LINK = new RegExp(
    "https?:\\/\\/[^\\s<>\"]+" +
      "|[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)*\\.[A-Za-z]{2,}" +
      "|(?<![\\p{L}\\p{N}@./-])(?:[A-Za-z0-9-]+\\.)+(?:se|nu|eu|com|org|net)(?![\\p{L}\\p{N}-])" +
      "(?:\\/[^\\s<>\"]*)?",
    "gu"
  );
  var TRAILING = /[.,;:!?)\]"'”’]+$/u;

  var script = document.currentScript || document.querySelector("script[data-bot-url]");
  if (!script || document.querySelector(".asf-chat")) {
    return;
  }
  if (!TEXTS || !TEXTS.sv || !TEXTS.en || !TEXTS.lattlast) {
    // Served as a plain file, not by the ASF-hjälpen web app: it has no texts to show.
    if (window.console) {
      window.console.error("ASF-hjälpen: widget.js came without its texts");
    }
    return;
  }
  var scriptUrl = new URL(script.src, document.baseURI);
  var botUrl = new URL(script.getAttribute("data-bot-url") || "/", scriptUrl);
  if (!/\/$/.test(botUrl.pathname)) {
    botUrl.pathname += "/";
  }
  var title = script.getAttribute("data-title") || "ASF-hjälpen";
  var pageLangFollows = script.getAttribute("data-page-lang") === "follow";
  var container =
    script.getAttribute("data-mode") === "inline"
      ? document.getElementById(script.getAttribute("data-container") || "")
      : null;
  var inline = container !== null;
  var endpoint = new URL("api/chat", botUrl).href;
  var feedbackEndpoint = new URL("api/feedback", botUrl).href;
  var privacyUrl = new URL("integritet", botUrl).href;

  // ---- storage: the session id, the history and whether the panel is open ----

  // False after a conversation was erased: nothing is stored again until the next
  // visitor writes, so the shared computer keeps nothing of the one who left.
  var keep = true;

  function load(name, fallback) {
    try {
      var raw = window.localStorage.getItem(STORAGE + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (error) {
      return fallback;
    }
  }

  function save(name, value) {
    if (!keep) {
      return;
    }
    try {
      window.localStorage.setItem(STORAGE + name, JSON.stringify(value));
    } catch (error) {
      // Storage full or blocked: the chat still works, it is just not kept.
    }
  }

  // Every key the chat uses, in both storages (only localStorage holds any today).
  function clearStorage() {
    [window.localStorage, window.sessionStorage].forEach(function (storage) {
      try {
        for (var i = storage.length - 1; i >= 0; i--) {
          var key = storage.key(i);
          if (key !== null && key.indexOf(STORAGE) === 0) {
            storage.removeItem(key);
          }
        }
      } catch (error) {
        // Storage blocked: there is nothing in it either.
      }
    });
  }

  function newSessionId() {
    var bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // A random name for one shown answer (12 bytes, base64url), so that a changed vote
  // replaces the earlier one on the server.
  function newAnswerId() {
    return newSessionId().slice(0, 16);
  }

  function validAnswer(answer) {
    return (
      answer &&
      typeof answer.id === "string" &&
      /^[A-Za-z0-9_-]{8,64}$/.test(answer.id) &&
      typeof answer.response === "string" &&
      (answer.vote === null || answer.vote === "up" || answer.vote === "down")
    );
  }

  function validEntry(entry) {
    return (
      entry &&
      (entry.from === "bot" || entry.from === "user") &&
      typeof entry.text === "string" &&
      (entry.buttons === undefined || Array.isArray(entry.buttons)) &&
      (entry.lang === undefined || entry.lang === "sv" || entry.lang === "en") &&
      (entry.answer === undefined || validAnswer(entry.answer))
    );
  }

  var session = load("session", null);
  if (typeof session !== "string" || !/^[A-Za-z0-9_-]{16,64}$/.test(session)) {
    session = newSessionId();
    save("session", session);
  }
  var history = load("history", []);
  history = Array.isArray(history) ? history.filter(validEntry) : [];

  // ---- the conversation's variant: language and reading mode ----

  function validChoice(value) {
    return (
      value &&
      (value.lang === "sv" || value.lang === "en") &&
      (value.reading === "standard" || value.reading === "lattlast")
    );
  }

  // What the visitor chose (or wrote in) last, as Rasa told it; a new visitor starts in
  // the host page's data-lang.
  var choice = load("variant", null);
  if (!validChoice(choice)) {
    choice = { lang: script.getAttribute("data-lang") === "en" ? "en" : "sv", reading: "standard" };
  }

  function variantOf(value) {
    if (value.lang === "en") {
      return "en";
    }
    return value.reading === "lattlast" ? "lattlast" : "sv";
  }

  var lang = choice.lang;
  TEXT = TEXTS[variantOf(choice)];

  function saveHistory() {
    history = history.slice(-MAX_HISTORY);
    save("history", history);
  }

  // ---- building the DOM ----

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

  function button(className, text) {
    var node = el("button", className, text);
    node.type = "button";
    return node;
  }

  var stylesheet = el("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = new URL("widget.css", scriptUrl).href;
  document.head.appendChild(stylesheet);

  var root = el("div", inline ? "asf-chat asf-chat--inline" : "asf-chat");

  // Every node with a text of the widget's own is built here without it; applyTexts()
  // puts the texts of the conversation's variant in, and again when it changes.
  var launcher = button("asf-chat__launcher");
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "asf-chat-panel");

  var panel = el("section", "asf-chat__panel");
  panel.id = "asf-chat-panel";
  if (!inline) {
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
  }
  panel.setAttribute("aria-labelledby", "asf-chat-title");
  panel.hidden = !inline;

  var header = el("div", "asf-chat__header");
  var heading = el("h2", "asf-chat__title", title);
  heading.id = "asf-chat-title";
  var closeButton = button("asf-chat__close");
  closeButton.appendChild(el("span", "asf-chat__close-icon", "×")).setAttribute("aria-hidden", "true");
  header.appendChild(heading);
  if (!inline) {
    header.appendChild(closeButton);
  }

  var tools = el("div", "asf-chat__tools");
  tools.setAttribute("role", "group");
  var toolsCaption = el("span", "asf-chat__tools-caption");
  toolsCaption.id = "asf-chat-tools";
  tools.setAttribute("aria-labelledby", toolsCaption.id);
  function tool(className) {
    return button("asf-chat__tool " + className);
  }
  var saveButton = tool("asf-chat__save");
  var eraseButton = tool("asf-chat__erase");
  var newButton = tool("asf-chat__new");
  tools.appendChild(toolsCaption);
  tools.appendChild(newButton);
  tools.appendChild(saveButton);
  tools.appendChild(eraseButton);

  // The four choices of language and reading mode: toggle buttons (aria-pressed), each
  // named in its own language. A pressed one sends nothing: it is already so.
  var variants = el("div", "asf-chat__variants");
  variants.setAttribute("role", "group");
  var variantsCaption = el("span", "asf-chat__variants-caption");
  variantsCaption.id = "asf-chat-variants";
  variants.setAttribute("aria-labelledby", variantsCaption.id);
  variants.appendChild(variantsCaption);
  var CHOICES = [
    { key: "chooseSwedish", lang: "sv", payload: "/choose_swedish", pressed: function (c) { return c.lang === "sv"; } },
    { key: "chooseEnglish", lang: "en", payload: "/choose_english", pressed: function (c) { return c.lang === "en"; } },
    {
      key: "chooseStandard",
      lang: "sv",
      payload: "/choose_standard_swedish",
      pressed: function (c) { return c.lang === "sv" && c.reading === "standard"; }
    },
    {
      key: "chooseEasy",
      lang: "sv",
      payload: "/choose_easy_swedish",
      pressed: function (c) { return c.lang === "sv" && c.reading === "lattlast"; }
    }
  ];
  CHOICES.forEach(function (option) {
    var node = button("asf-chat__variant asf-chat__variant--" + option.key);
    node.lang = option.lang;
    node.setAttribute("aria-pressed", "false");
    node.addEventListener("click", function () {
      if (option.pressed(choice)) {
        return;
      }
      input.focus();
      send(option.payload, TEXT[option.key], "", null, option.lang);
    });
    option.node = node;
    variants.appendChild(node);
  });

  // The confirmation before a conversation is erased: a modal <dialog>, which keeps
  // the focus inside it and closes on Escape.
  var confirmDialog = el("dialog", "asf-chat__dialog");
  confirmDialog.setAttribute("aria-labelledby", "asf-chat-confirm-title");
  confirmDialog.setAttribute("aria-describedby", "asf-chat-confirm-text");
  var confirmTitle = el("h2", "asf-chat__dialog-title");
  confirmTitle.id = "asf-chat-confirm-title";
  var confirmText = el("p", "asf-chat__dialog-text");
  confirmText.id = "asf-chat-confirm-text";
  var confirmButtons = el("div", "asf-chat__dialog-buttons");
  var confirmButton = button("asf-chat__confirm");
  var cancelButton = button("asf-chat__cancel");
  confirmButtons.appendChild(confirmButton);
  confirmButtons.appendChild(cancelButton);
  confirmDialog.appendChild(confirmTitle);
  confirmDialog.appendChild(confirmText);
  confirmDialog.appendChild(confirmButtons);

  var log = el("ol", "asf-chat__log");
  log.tabIndex = 0; // scrollable: keyboard users can scroll it too

  var typing = el("p", "asf-chat__typing");
  typing.hidden = true;
  var typingText = el("span", "asf-chat__typing-text");
  typing.appendChild(typingText);
  var dots = el("span", "asf-chat__dots");
  dots.setAttribute("aria-hidden", "true");
  for (var d = 0; d < 3; d++) {
    dots.appendChild(el("span", "asf-chat__dot"));
  }
  typing.appendChild(dots);

  var errorBox = el("div", "asf-chat__error");
  errorBox.setAttribute("role", "alert");
  var errorText = el("p", "asf-chat__error-text");
  var retryButton = button("asf-chat__retry");
  retryButton.hidden = true;
  errorBox.appendChild(errorText);
  errorBox.appendChild(retryButton);
  errorBox.hidden = true;

  var form = el("form", "asf-chat__form");
  form.noValidate = true;
  var input = el("input", "asf-chat__input");
  input.id = "asf-chat-input";
  input.type = "text";
  input.autocomplete = "off";
  input.setAttribute("enterkeyhint", "send");
  var label = el("label", "asf-chat__sr-only");
  label.htmlFor = input.id;
  var sendButton = el("button", "asf-chat__send");
  sendButton.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);

  var footer = el("p", "asf-chat__footer");
  var privacyLink = el("a", "asf-chat__privacy");
  // The privacy page: the binding Swedish statement, and below it in lättläst and in
  // English (#lattlast, #in-english), where the link leads in those variants.
  var PRIVACY_PARTS = { sv: "", en: "#in-english", lattlast: "#lattlast" };
  footer.appendChild(privacyLink);

  // New messages are announced here, one at a time, without re-reading the log.
  var live = el("div", "asf-chat__sr-only");
  live.setAttribute("aria-live", "polite");

  panel.appendChild(header);
  panel.appendChild(tools);
  panel.appendChild(variants);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(errorBox);
  panel.appendChild(form);
  panel.appendChild(footer);
  panel.appendChild(live);
  if (!inline) {
    root.appendChild(launcher);
  }
  root.appendChild(panel);
  root.appendChild(confirmDialog);

  // The texts of the conversation's variant on every node built above, and the language
  // attributes: the widget's own, the script tag's data-lang and, when the page asks for
  // it (data-page-lang="follow"), the page's.
  function applyTexts() {
    root.lang = lang;
    root.setAttribute("data-lang", lang);
    root.setAttribute("data-reading", choice.reading);
    script.setAttribute("data-lang", lang);
    if (pageLangFollows) {
      document.documentElement.lang = lang;
    }
    launcher.textContent = TEXT.launcher;
    closeButton.setAttribute("aria-label", TEXT.close);
    closeButton.title = TEXT.close;
    toolsCaption.textContent = TEXT.tools;
    // The full name contains the visible word, so speech control finds it by either.
    [
      [newButton, TEXT.newShort, TEXT.newConversation],
      [saveButton, TEXT.saveShort, TEXT.save],
      [eraseButton, TEXT.eraseShort, TEXT.erase]
    ].forEach(function (row) {
      row[0].textContent = row[1];
      row[0].setAttribute("aria-label", row[2]);
    });
    variantsCaption.textContent = TEXT.language;
    CHOICES.forEach(function (option) {
      option.node.textContent = TEXT[option.key];
      option.node.setAttribute("aria-pressed", option.pressed(choice) ? "true" : "false");
    });
    cancelButton.textContent = TEXT.cancel;
    log.setAttribute("aria-label", TEXT.log);
    typingText.textContent = title + " " + TEXT.typing;
    retryButton.textContent = TEXT.retry;
    label.textContent = TEXT.inputLabel;
    input.placeholder = TEXT.inputLabel;
    sendButton.textContent = TEXT.send;
    privacyLink.textContent = TEXT.privacy;
    privacyLink.href = privacyUrl + PRIVACY_PARTS[variantOf(choice)];
  }
  applyTexts();

  // The conversation's variant as Rasa told it with an answer: kept, and shown when it
  // changed. True if it did.
  function setChoice(told) {
    if (!validChoice(told)) {
      return false;
    }
    var changed = told.lang !== choice.lang || told.reading !== choice.reading;
    choice = { lang: told.lang, reading: told.reading };
    save("variant", choice);
    if (changed) {
      lang = choice.lang;
      TEXT = TEXTS[variantOf(choice)];
      applyTexts();
      render(); // the votes' texts under earlier answers too
    }
    return changed;
  }

  // ---- messages ----

  function hrefFor(text) {
    if (!/^https?:\/\//i.test(text) && text.indexOf("@") > 0) {
      return "mailto:" + text;
    }
    var url;
    try {
      url = new URL(/^https?:\/\//i.test(text) ? text : "https://" + text);
    } catch (error) {
      return null;
    }
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  }

  function appendWithLinks(parent, text) {
    var last = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      var found = match[0].replace(TRAILING, "");
      var href = found ? hrefFor(found) : null;
      if (!href) {
        continue;
      }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", "asf-chat__link", found);
      link.href = href;
      if (href.indexOf("mailto:") !== 0) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.appendChild(el("span", "asf-chat__sr-only", " " + TEXT.newWindow));
      }
      parent.appendChild(link);
      last = match.index + found.length;
      LINK.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function messageNode(entry) {
    var item = el("li", "asf-chat__msg asf-chat__msg--" + entry.from);
    item.appendChild(el("span", "asf-chat__sr-only", (entry.from === "bot" ? title : TEXT.you) + ": "));
    var body = el("span", "asf-chat__text");
    if (entry.lang) {
      // An answer in the language it was given in; the widget's own texts around it
      // (the vote under it, say) are in the widget's.
      body.lang = entry.lang;
    }
    if (entry.from === "bot") {
      appendWithLinks(body, entry.text);
    } else {
      body.textContent = entry.text;
    }
    item.appendChild(body);
    return item;
  }

  function quickReplies(buttons) {
    var group = el("div", "asf-chat__quick");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", TEXT.suggestions);
    buttons.forEach(function (choice) {
      if (!choice || typeof choice.title !== "string" || typeof choice.payload !== "string") {
        return;
      }
      var node = button("asf-chat__reply", choice.title);
      node.addEventListener("click", function () {
        input.focus(); // the buttons go away once the reply is sent
        send(choice.payload, choice.title);
      });
      group.appendChild(node);
    });
    return group;
  }

  // ---- votes under answers ----

  // Per answer id: a vote is on its way; `again` when the visitor changed it meanwhile,
  // so the latest vote is sent once the earlier one is answered, never out of order.
  var voting = {};

  function showVote(group, answer) {
    group.querySelectorAll(".asf-chat__vote").forEach(function (node) {
      node.setAttribute("aria-pressed", node.getAttribute("data-vote") === answer.vote ? "true" : "false");
    });
    group.querySelector(".asf-chat__vote-thanks").textContent = answer.vote ? TEXT.voteThanks : "";
  }

  function voteButton(answer, vote, group) {
    var node = button("asf-chat__vote asf-chat__vote--" + vote);
    node.setAttribute("data-vote", vote);
    node.setAttribute("aria-label", vote === "up" ? TEXT.voteUpName : TEXT.voteDownName);
    node.appendChild(el("span", "asf-chat__vote-icon", vote === "up" ? "👍" : "👎")).setAttribute("aria-hidden", "true");
    node.appendChild(el("span", null, vote === "up" ? TEXT.voteUp : TEXT.voteDown));
    node.addEventListener("click", function () {
      castVote(answer, vote, group);
    });
    return node;
  }

  function voteGroup(answer) {
    var group = el("div", "asf-chat__feedback");
    group.setAttribute("role", "group");
    var question = el("span", "asf-chat__vote-question", TEXT.voteQuestion);
    question.id = "asf-chat-vote-" + answer.id;
    group.setAttribute("aria-labelledby", question.id);
    group.appendChild(question);
    group.appendChild(voteButton(answer, "up", group));
    group.appendChild(voteButton(answer, "down", group));
    group.appendChild(el("span", "asf-chat__vote-thanks"));
    showVote(group, answer);
    return group;
  }

  function castVote(answer, vote, group) {
    if (answer.vote === vote) {
      return; // already so: nothing to change
    }
    answer.vote = vote;
    saveHistory();
    showVote(group, answer);
    announce(vote === "up" ? TEXT.votedUp : TEXT.votedDown);
    postVote(answer);
    if (vote === "down" && isLatest(answer)) {
      // The visitor's own step, as a quick reply is: the bot offers a person next.
      input.focus();
      send("/not_helpful", TEXT.voteDownShown);
    }
  }

  // True if nothing has been asked since the answer: "det hjälpte inte" is about the
  // answer just given. Under an older one the vote is only a vote, since the
  // conversation has moved on (the bot may be waiting for a question for staff, say).
  function isLatest(answer) {
    if (busy || queue.length) {
      return false;
    }
    for (var i = history.length - 1; i >= 0; i--) {
      if (history[i].answer === answer) {
        return true;
      }
      if (history[i].from === "user") {
        return false;
      }
    }
    return false;
  }

  function postVote(answer) {
    if (voting[answer.id]) {
      voting[answer.id].again = true;
      return;
    }
    var mine = generation;
    var state = (voting[answer.id] = { again: false });
    var sent = answer.vote;
    fetch(feedbackEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({
        session: session,
        answer_id: answer.id,
        response: answer.response,
        vote: sent,
        lang: choice.lang,
        reading: choice.reading
      })
    })
      .then(function (response) {
        if (response.ok) {
          return null;
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return data && typeof data.message === "string" ? data.message : TEXT.voteFailed;
          });
      }, function () {
        return TEXT.voteFailed;
      })
      .then(function (problem) {
        delete voting[answer.id];
        if (mine !== generation) {
          return;
        }
        if (problem === null) {
          answer.saved = sent;
        } else if (!state.again) {
          // Not stored: the buttons show the vote the server has, and the visitor is told.
          answer.vote = answer.saved || null;
          saveHistory();
          render();
          showError(problem, null);
          announce(problem);
          return;
        }
        if (state.again) {
          postVote(answer);
        }
      });
  }

  function render() {
    log.textContent = "";
    var lastQuestion = null;
    history.forEach(function (entry, index) {
      var item = messageNode(entry);
      if (entry.from === "bot" && entry.answer) {
        item.appendChild(voteGroup(entry.answer));
      }
      // Only the latest bot message offers its buttons: older ones are history.
      var latest = index === history.length - 1;
      if (latest && entry.from === "bot" && entry.buttons && entry.buttons.length) {
        item.appendChild(quickReplies(entry.buttons));
      }
      if (entry.from === "user") {
        lastQuestion = item;
      }
      log.appendChild(item);
    });
    // Show the latest question with the start of its answer: long answers are read
    // from the top, and the log stops at its end anyway when the answer is short.
    log.scrollTop = lastQuestion ? lastQuestion.offsetTop - log.offsetTop - 8 : log.scrollHeight;
  }

  function announce(text) {
    var line = el("p", null, text);
    live.appendChild(line);
    while (live.childNodes.length > 5) {
      live.removeChild(live.firstChild);
    }
  }

  function showError(text, retry) {
    errorText.textContent = text;
    retryButton.hidden = !retry;
    retryButton.onclick = retry
      ? function () {
          input.focus();
          retry();
        }
      : null;
    errorBox.hidden = false;
    log.scrollTop = log.scrollHeight;
  }

  function hideError() {
    errorBox.hidden = true;
    errorText.textContent = "";
    retryButton.onclick = null;
  }

  var busy = false;
  // Messages wait here while an earlier one is on its way, so a visitor who types
  // before the greeting has arrived loses nothing.
  var queue = [];
  // A message that did not get through, sent again by "Försök igen" or by the
  // visitor's next message.
  var failed = null;
  // Bumped by "Ny konversation": answers to the old conversation are then dropped.
  var generation = 0;

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    panel.setAttribute("aria-busy", value ? "true" : "false");
  }

  function next() {
    var item = failed || queue.shift();
    failed = null;
    if (item) {
      post(item);
    }
  }

  function failedWith(item, text) {
    failed = item;
    showError(text, next);
  }

  function refused(item, text) {
    // Nothing reached the bot: the text goes back into the input to be edited.
    if (item.entry) {
      history.splice(history.indexOf(item.entry), 1);
      saveHistory();
      render();
      if (!input.value) {
        input.value = item.typed || item.entry.text;
      }
    }
    showError(text, null);
    input.focus();
  }

  // The chat API answers 200 with the bot's replies; 400, 413 or 422 with a message
  // when it refused the message; 429 or 503 with a message when trying again helps.
  function post(item) {
    var mine = generation;
    setBusy(true);
    hideError();
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      // The variant the widget shows: a refused message is answered in it.
      body: JSON.stringify({ session: session, message: item.message, lang: choice.lang, reading: choice.reading })
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { status: response.status, data: data || {} };
          });
      })
      .then(
        function (result) {
          if (mine !== generation) {
            return;
          }
          setBusy(false);
          if (result.status === 200 && Array.isArray(result.data.replies)) {
            setChoice({ lang: result.data.lang, reading: result.data.reading });
            if (item.quiet) {
              next();
              return;
            }
            receive(result.data.replies);
            if (item.after) {
              item.after(result.data.replies);
            } else {
              notify("reply");
            }
            next();
            return;
          }
          var text = typeof result.data.message === "string" ? result.data.message : TEXT.unreachable;
          if (result.status === 400 || result.status === 413 || result.status === 422) {
            refused(item, text);
            next();
            return;
          }
          failedWith(item, text);
        },
        function () {
          if (mine !== generation) {
            return;
          }
          setBusy(false);
          failedWith(item, TEXT.unreachable);
        }
      );
  }

  // Where an answer goes in the log: above the messages still waiting to be sent,
  // so a question typed before the greeting arrived is shown below the greeting.
  function answerPosition() {
    var at = history.length;
    queue.forEach(function (item) {
      var index = item.entry ? history.indexOf(item.entry) : -1;
      if (index >= 0 && index < at) {
        at = index;
      }
    });
    return at;
  }

  function receive(replies) {
    var at = answerPosition();
    replies.forEach(function (reply) {
      if (!reply || typeof reply.text !== "string") {
        return;
      }
      var buttons = Array.isArray(reply.buttons) ? reply.buttons : [];
      var entry = { from: "bot", text: reply.text, buttons: buttons, lang: lang };
      if (reply.answer === true && typeof reply.response === "string" && reply.text) {
        entry.answer = { id: newAnswerId(), response: reply.response, vote: null };
      }
      history.splice(at, 0, entry);
      at += 1;
      if (reply.text) {
        announce(title + ": " + reply.text);
      }
    });
    saveHistory();
    render();
  }

  // `shown` is what the log shows as the visitor's message (a button's title for
  // its payload); null sends without showing anything (the greeting). `typed` is
  // what the visitor typed, given back to the input if the message is refused;
  // `shownLang` the language of `shown` when it is not the widget's (a choice's name).
  function send(message, shown, typed, after, shownLang) {
    var entry = null;
    if (shown !== null && !keep) {
      // The next visitor has written: from now on the conversation is kept.
      keep = true;
      save("session", session);
    }
    if (shown !== null) {
      entry = { from: "user", text: shown };
      if (shownLang) {
        entry.lang = shownLang;
      }
      history.push(entry);
      saveHistory();
      render();
    }
    queue.push({ message: message, entry: entry, typed: typed || "", after: after || null });
    if (!busy) {
      next();
    }
  }

  // A new conversation starts in the variant the visitor chose: the choice goes first,
  // its confirmation unshown, then the greeting.
  function greet() {
    var first = choice.lang === "en" ? "/choose_english" : choice.reading === "lattlast" ? "/choose_easy_swedish" : null;
    if (first) {
      queue.push({ message: first, entry: null, typed: "", after: null, quiet: true });
    }
    send("/greet", null);
  }

  function notify(name, ended) {
    var event;
    try {
      var detail = { session: session, ended: Boolean(ended) };
      event = new CustomEvent("asf-chat:" + name, { detail: detail });
    } catch (error) {
      return; // a browser too old for CustomEvent has no page to tell either
    }
    document.dispatchEvent(event);
  }

  // A new conversation with a new session id; `first` are messages to show above the
  // greeting (the bot's confirmation that the old one was erased), `ended` says so.
  function startOver(first, ended) {
    generation += 1;
    queue = [];
    failed = null;
    setBusy(false);
    history = first || [];
    session = newSessionId();
    save("session", session);
    saveHistory();
    hideError();
    input.value = "";
    render();
    input.focus();
    notify("session", ended);
    greet();
  }

  // ---- erasing the conversation ----

  // Sends /end_session through the chat, so the bot deletes the conversation on the
  // server; once it has confirmed, the browser's storage is cleared and a new
  // conversation starts. If the message does not get through, nothing is cleared and
  // the usual error with "Försök igen" shows.
  function endSession(shown) {
    send("/end_session", shown, "", function (replies) {
      var confirmation = replies
        .filter(function (reply) {
          return reply && typeof reply.text === "string" && reply.text;
        })
        .map(function (reply) {
          return { from: "bot", text: reply.text, buttons: [], lang: lang };
        });
      clearStorage();
      keep = false;
      startOver(confirmation, true);
    });
  }

  var opener = null;
  var confirmedShown = null;

  // texts: {title, text, confirm, shown} to replace the widget's own (the counselling
  // view says "Avsluta och rensa"); `from` gets the focus back when it is cancelled.
  function confirmEnd(texts, from) {
    texts = texts || {};
    confirmTitle.textContent = texts.title || TEXT.eraseTitle;
    confirmText.textContent = texts.text || TEXT.eraseText;
    confirmButton.textContent = texts.confirm || TEXT.eraseConfirm;
    confirmedShown = texts.shown || TEXT.erase;
    opener = from || document.activeElement;
    if (typeof confirmDialog.showModal !== "function") {
      // A browser without <dialog>: its own confirmation box instead.
      if (window.confirm(confirmTitle.textContent + "\n\n" + confirmText.textContent)) {
        endSession(confirmedShown);
      }
      return;
    }
    confirmDialog.showModal();
    // The safe choice first: Enter on an unread dialog erases nothing.
    cancelButton.focus();
  }

  cancelButton.addEventListener("click", function () {
    confirmDialog.close();
  });
  confirmDialog.addEventListener("close", function () {
    if (opener && typeof opener.focus === "function" && document.contains(opener)) {
      opener.focus();
    }
    opener = null;
  });
  confirmButton.addEventListener("click", function () {
    var shown = confirmedShown;
    opener = input;
    confirmDialog.close();
    endSession(shown);
  });
  eraseButton.addEventListener("click", function () {
    confirmEnd(null, eraseButton);
  });

  // ---- saving the conversation as text ----

  function twoDigits(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // What the log shows, who said what, in order, under the date it was saved.
  function transcript(now) {
    var date = now.toLocaleDateString(lang, { year: "numeric", month: "long", day: "numeric" });
    var time = twoDigits(now.getHours()) + "." + twoDigits(now.getMinutes());
    var lines = [title + " – " + TEXT.savedTitle, TEXT.savedOn + " " + date + " " + TEXT.at + " " + time, ""];
    history.forEach(function (entry, index) {
      lines.push((entry.from === "bot" ? title : TEXT.you) + ": " + entry.text);
      if (entry.answer && entry.answer.vote) {
        lines.push(TEXT.voteQuestion + " " + (entry.answer.vote === "up" ? TEXT.voteUp : TEXT.voteDown));
      }
      var latest = index === history.length - 1;
      if (latest && entry.from === "bot" && entry.buttons && entry.buttons.length) {
        var titles = entry.buttons
          .filter(function (choice) {
            return choice && typeof choice.title === "string";
          })
          .map(function (choice) {
            return choice.title;
          });
        lines.push(TEXT.suggestions + ": " + titles.join(" | "));
      }
      lines.push("");
    });
    return lines.join("\n");
  }

  function saveTranscript() {
    var now = new Date();
    var name =
      TEXT.fileName + "-" + now.getFullYear() + "-" + twoDigits(now.getMonth() + 1) + "-" +
      twoDigits(now.getDate()) + ".txt";
    var file = new Blob([transcript(now)], { type: "text/plain;charset=utf-8" });
    var url = URL.createObjectURL(file);
    var link = el("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    root.appendChild(link);
    link.click();
    root.removeChild(link);
    window.setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 10000);
    announce(TEXT.saved);
  }

  saveButton.addEventListener("click", saveTranscript);

  // ---- opening and closing ----

  function open(focus) {
    // Only an open the visitor asked for is animated, not the reopening on each page.
    panel.classList.toggle("asf-chat__panel--restored", !focus);
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    save("open", true);
    render();
    if (history.length === 0 && !busy && queue.length === 0) {
      greet();
    }
    if (focus) {
      input.focus();
    }
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    save("open", false);
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    open(true);
  });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (!inline && (event.key === "Escape" || event.key === "Esc")) {
      event.preventDefault();
      close();
    }
  });
  newButton.addEventListener("click", function () {
    startOver([]);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) {
      // Nothing to show in the log; the chat API says what is wrong, in one place.
      send(text, null);
      return;
    }
    input.value = "";
    send(text, text.trim(), text);
  });

  window.asfChat = {
    // The conversation's session id, for the page's own requests (in a POST body).
    session: function () {
      return session;
    },
    // Send `payload` to the bot, showing `shown` in the log as the visitor's message.
    send: function (payload, shown) {
      send(payload, shown);
    },
    confirmEnd: confirmEnd,
    focusInput: function () {
      input.focus();
    }
  };

  if (inline) {
    container.appendChild(root);
    render();
    if (history.length === 0) {
      greet();
    }
    return;
  }
  document.body.appendChild(root);
  if (load("open", false) === true) {
    // Reopened after a reload or on the next page: keep the visitor's place, but
    // do not take the focus from the page.
    open(false);
  }
})();
