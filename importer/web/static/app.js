// wolkvox-import web page: a little plain JavaScript, no build step, no third-party code.
// Upload on choose/drop, forms that apply on change, cells edited in place, live progress.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // Every address of the page starts with its key (the links in the page already do).
  const root = document.querySelector('meta[name="page-root"]').content;

  function post(url, body) {
    return fetch(root + url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
  }

  // --- upload: read the file as soon as it is chosen or dropped -------------------------
  function setupUpload() {
    const form = document.querySelector("form[data-upload]");
    if (!form) return;
    const input = form.querySelector('input[type="file"]');
    const zone = form.querySelector("[data-drop]");
    input.addEventListener("change", function () {
      if (input.files.length) form.submit();
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        form.submit();
      }
    });
  }

  // --- forms that apply as soon as they change (sheet, "only rows with problems") --------
  // The page is loaded again; the control that was used gets the focus back, so a keyboard
  // user does not start over from the top of the page.
  function remember(el) {
    if (el && el.id) sessionStorage.setItem("wolkvox-refocus", el.id);
  }

  function setupAutosubmit() {
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
      form.addEventListener("change", function (event) {
        if (event.target.type === "search") return; // typed text is sent with Enter
        remember(event.target);
        form.submit();
      });
    });
    document.querySelectorAll("form[data-refocus]").forEach(function (form) {
      form.addEventListener("submit", function (event) { remember(event.submitter); });
    });
    // Send and Resume start a run: a second click must not try to start another.
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) {
          event.preventDefault();
          return;
        }
        form.dataset.sent = "1";
        if (event.submitter) event.submitter.setAttribute("aria-disabled", "true");
      });
    });
    const id = sessionStorage.getItem("wolkvox-refocus");
    sessionStorage.removeItem("wolkvox-refocus");
    const el = id && document.getElementById(id);
    if (el) el.focus();
  }

  // --- review: a grid of cells edited in place -------------------------------------------
  function visibleRows() {
    return Array.from(document.querySelectorAll("tr[data-row]")).map(function (tr) {
      return Number(tr.dataset.row);
    });
  }

  // A cell's id is "c-ROW-COLUMN" (column names hold no "-"); its tip's is "t-ROW-COLUMN".
  function where(input) {
    const parts = input.id.split("-");
    return { row: Number(parts[1]), col: parts[2] };
  }

  function say(text) {
    const el = document.getElementById("announce");
    if (el) el.textContent = text || "";
  }

  // An input as wide as its text (the grid scrolls inside its box).
  function fit(input) {
    input.size = Math.min(Math.max(input.value.length + 1, 6), 60);
  }

  function showCell(td, input, problems, notes) {
    const tip = (problems.concat(notes)).join("; ");
    td.classList.toggle("bad", problems.length > 0);
    td.classList.toggle("note", problems.length === 0 && notes.length > 0);
    if (problems.length) {
      td.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-invalid", "true");
    } else {
      td.removeAttribute("aria-invalid");
      input.removeAttribute("aria-invalid");
    }
    if (tip) td.title = tip; else td.removeAttribute("title");
    const id = "t" + input.id.slice(1);
    let span = document.getElementById(id);
    if (tip && !span) {
      span = document.createElement("span");
      span.className = "tip";
      span.id = id;
      td.appendChild(span);
      input.setAttribute("aria-describedby", id);
    }
    if (span) span.textContent = tip;
    if (!tip) input.removeAttribute("aria-describedby");
  }

  // Only the cells whose state changed come back ("row:column" -> problems, notes, and
  // after a change of several cells their value and whether they are edited).
  function applyCells(cells) {
    Object.keys(cells).forEach(function (key) {
      const at = key.indexOf(":");
      const input = document.getElementById("c-" + key.slice(0, at) + "-" + key.slice(at + 1));
      if (!input) return;
      const cell = cells[key];
      if (cell.value !== undefined && document.activeElement !== input) {
        input.defaultValue = cell.value;
        input.value = cell.value;
        fit(input);
      }
      if (cell.edited !== undefined) input.parentElement.classList.toggle("edited", cell.edited);
      showCell(input.parentElement, input, cell.problems, cell.notes);
    });
  }

  function applyRows(rows) {
    Object.keys(rows).forEach(function (row) {
      const state = rows[row];
      const invalid = typeof state === "boolean" ? state : state.invalid;
      const th = document.getElementById("r-" + row);
      if (!th) return;
      th.classList.toggle("bad-row", invalid);
      th.querySelector(".row-mark").hidden = !invalid;
      if (typeof state !== "boolean") {
        th.parentElement.classList.toggle("excluded", state.excluded);
        const box = th.querySelector("input[data-exclude]");
        if (box) box.checked = state.excluded;
      }
    });
  }

  // What every answer to a change carries: the counts, the version, what Undo would do.
  function applyCommon(data) {
    const summary = document.getElementById("summary");
    if (summary && data.summary !== undefined) {
      const open = summary.querySelector("details[open]") !== null;
      summary.innerHTML = data.summary;
      const details = summary.querySelector("details");
      if (details && open) details.open = true;
    }
    const table = document.querySelector("table[data-review]");
    if (table && data.version !== undefined) table.dataset.version = data.version;
    const undo = document.querySelector("[data-undo]");
    if (undo && data.undo !== undefined) {
      undo.disabled = !data.undo;
      undo.title = data.undo;
    }
    document.dispatchEvent(new CustomEvent("wolkvox-shown"));
  }

  function answerOf(response) {
    return response.json().then(function (data) { return { ok: response.ok, data: data }; });
  }

  // The value last saved is the input's defaultValue (its value attribute).
  function commit(input) {
    if (input.value === input.defaultValue || input.dataset.busy) return;
    input.dataset.busy = "1";
    const cell = where(input);
    const sent = input.value;
    post(base() + "/cell", { row: cell.row, column: cell.col, value: sent, rows: visibleRows() })
      .then(answerOf)
      .then(function (answer) {
        const data = answer.data;
        if (!answer.ok) {
          say(data.error);
          return;
        }
        const typed = input.value;
        input.defaultValue = data.value;
        // the cleaned value, unless the person has typed on since
        input.value = typed === sent ? data.value : typed;
        fit(input);
        input.parentElement.classList.add("edited");
        applyCells(data.cells);
        applyRows(data.invalid);
        applyCommon(data);
        say(data.problems.length ? data.problems.join("; ") : input.getAttribute("aria-label") + " ✓");
      })
      .finally(function () {
        delete input.dataset.busy;
        if (input.value !== input.defaultValue && document.activeElement !== input) commit(input);
      });
  }

  // The records tab's grid answers at its own addresses (/records/cell, ...).
  function base() {
    const table = document.querySelector("table[data-review]");
    return table && table.dataset.cells === "records" ? "/records" : "";
  }

  // A change of several cells or rows (a column, a row left out, Undo).
  function change(url, body) {
    body.rows = visibleRows();
    return post(base() + url, body).then(answerOf).then(function (answer) {
      const data = answer.data;
      if (!answer.ok) {
        say(data.error);
        return;
      }
      applyCells(data.cells);
      applyRows(data.rows);
      applyCommon(data);
      say(data.said);
      return data;
    });
  }

  // A short visible answer under a form (the live region alone is not seen).
  function tell(form, testid, text) {
    let told = form.querySelector('[data-testid="' + testid + '"]');
    if (!told) {
      told = document.createElement("p");
      told.className = "ok-note";
      told.setAttribute("role", "status");
      told.dataset.testid = testid;
      form.appendChild(told);
    }
    told.textContent = text || "";
  }

  // The cell in the same column, ``by`` rows down (or up), or the next/previous cell.
  function cellAt(input, rows, cols) {
    const td = input.parentElement;
    const tr = td.parentElement;
    if (cols) {
      let next = cols > 0 ? td.nextElementSibling : td.previousElementSibling;
      while (next && !next.querySelector("input:not([type=checkbox])")) {
        next = cols > 0 ? next.nextElementSibling : next.previousElementSibling;
      }
      return next ? next.querySelector("input") : null;
    }
    const other = rows > 0 ? tr.nextElementSibling : tr.previousElementSibling;
    if (!other) return null;
    const target = other.children[Array.prototype.indexOf.call(tr.children, td)];
    return target ? target.querySelector("input") : null;
  }

  function go(target) {
    if (!target) return false;
    target.focus();
    target.select();
    return true;
  }

  function nextProblem() {
    const bad = Array.from(document.querySelectorAll("table[data-review] td.bad input"));
    const here = document.activeElement;
    const after = bad.find(function (input) {
      return here && here.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    if (go(after || null)) return;
    // none further on this page: the server knows the next one, on whichever page
    const rows = visibleRows();
    const last = rows.length ? rows[rows.length - 1] : 0;
    const params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.set("next", String(last));
    window.location.assign(root + (base() || "/review") + "?" + params.toString());
  }

  function undoLast() {
    const button = document.querySelector("[data-undo]");
    if (button && !button.disabled) change("/undo", {});
  }

  function setupReview() {
    const table = document.querySelector("table[data-review]");
    if (!table) return;
    table.addEventListener("keydown", function (event) {
      const input = event.target;
      if (!(input instanceof HTMLInputElement) || input.type === "checkbox") return;
      if (event.key === "Enter") {
        event.preventDefault();
        commit(input);
        go(cellAt(input, event.shiftKey ? -1 : 1, 0));
      } else if (event.key === "Escape") {
        input.value = input.defaultValue;
        fit(input);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (go(cellAt(input, event.key === "ArrowDown" ? 1 : -1, 0))) event.preventDefault();
      } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        // within the text the caret moves; at its end, the next cell
        const right = event.key === "ArrowRight";
        const edge = right ? input.selectionStart === input.value.length
          : input.selectionEnd === 0;
        if (edge && input.selectionStart === input.selectionEnd && go(cellAt(input, 0, right ? 1 : -1))) {
          event.preventDefault();
        }
      }
    });
    table.addEventListener("input", function (event) {
      if (event.target instanceof HTMLInputElement && event.target.type !== "checkbox") {
        fit(event.target);
      }
    });
    table.addEventListener("focusin", function (event) {
      // the problem's explanation opens below the cell: scrolled into sight with it, so
      // a cell at the bottom of the window or of the grid's box shows its tip whole
      const tip = event.target instanceof HTMLElement && event.target.parentElement
        ? event.target.parentElement.querySelector(".tip") : null;
      if (tip) tip.scrollIntoView({block: "nearest", inline: "nearest"});
    });
    table.addEventListener("focusout", function (event) {
      const input = event.target;
      if (input instanceof HTMLInputElement && input.type !== "checkbox") commit(input);
    });
    table.addEventListener("change", function (event) {
      const box = event.target;
      if (box instanceof HTMLInputElement && box.dataset.exclude) {
        change("/exclude", { row: Number(box.dataset.exclude), out: box.checked });
      }
    });
    document.addEventListener("keydown", function (event) {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const key = event.key.toLowerCase();
      if (key === "n" || event.code === "KeyN") {
        event.preventDefault();
        nextProblem();
      } else if (key === "z" || event.code === "KeyZ") {
        event.preventDefault();
        undoLast();
      }
    });
    const next = document.querySelector("[data-next-problem]");
    if (next) next.addEventListener("click", nextProblem);
    const undo = document.querySelector("[data-undo]");
    if (undo) undo.addEventListener("click", undoLast);
    const bulk = document.querySelector("form[data-bulk]");
    if (bulk) {
      bulk.addEventListener("submit", function (event) {
        event.preventDefault();
        const form = new FormData(bulk);
        change("/column", {
          column: form.get("column"), action: form.get("action"), find: form.get("find"),
          value: form.get("value"), scope: form.get("scope") || "",
        }).then(function (data) {
          if (data) tell(bulk, "bulk-said", data.said);
        });
      });
    }
    if (table.dataset.focus) go(document.getElementById(table.dataset.focus));
  }

  // --- columns: the values found become the values chosen, without leaving the page -----
  function setupValues() {
    document.querySelectorAll("form.values-form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        const body = {};
        new FormData(form).forEach(function (value, key) {
          if (key !== "csrf") body[key] = value;
        });
        post("/values", body).then(answerOf).then(function (answer) {
          const data = answer.data;
          if (!answer.ok) {
            say(data.error);
            return;
          }
          // the values changed are no longer in the file: their lines go
          form.querySelectorAll("select").forEach(function (select) {
            if (select.value) select.closest("tr").remove();
          });
          // nothing left to change: no table, no button
          if (!form.querySelector("tbody tr")) {
            form.querySelectorAll("table, button").forEach(function (el) { el.hidden = true; });
          }
          let told = document.querySelector('[data-testid="values-mapped"]');
          if (!told) {
            told = document.createElement("p");
            told.className = "ok-note";
            told.setAttribute("role", "status");
            told.dataset.testid = "values-mapped";
            form.parentElement.insertBefore(told, form);
          }
          told.textContent = data.said;
          say(data.said);
          document.dispatchEvent(new CustomEvent("wolkvox-shown"));
        });
      });
    });
  }

  // --- send: poll the run's progress ------------------------------------------------------
  function setupProgress() {
    const box = document.querySelector("[data-progress]");
    if (!box) return;
    const every = Number(box.dataset.poll) || 250;
    let since = 0;
    // seen running, or shown right after Send: the end of the run leads on to the results
    const started = "justStarted" in box.dataset ? "running" : box.dataset.state;
    function text(id, value) {
      const el = document.getElementById(id);
      if (el) el.textContent = value;
    }
    // The one set of numbers (see _tally.html): done/to send, existing, sent, left.
    function showTally(t, labels) {
      text("tally-rows", t.rows);
      text("tally-problems", t.problems);
      text("tally-to-send", t.to_send);
      text("tally-existing", t.existing);
      text("tally-sent", t.sent);
      text("tally-left", t.left);
      const counts = document.getElementById("counts");
      if (!counts) return;
      counts.replaceChildren();
      Object.keys(t.counts).forEach(function (status) {
        const li = document.createElement("li");
        li.className = "status-" + status;
        li.dataset.status = status;
        const n = document.createElement("strong");
        n.textContent = t.counts[status];
        li.append((labels[status] || status) + ": ", n);
        counts.appendChild(li);
      });
    }
    function tick() {
      fetch(box.dataset.progress + "?since=" + since, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          if (p.state === "refused") {
            // wolkvox refused the run before anything was sent: Send says why
            window.location.assign(root + "/send");
            return;
          }
          if (p.state === "none") return;
          if (p.begun) {
            text("phase", "");
            text("progress-text", p.text);
          }
          const bar = document.getElementById("progress-bar");
          bar.max = Math.max(p.tally.to_send, 1);
          bar.value = p.tally.done;
          showTally(p.tally, p.counts_text);
          if (p.records) {
            // after the campaigns, the records' batches
            const rbar = document.getElementById("records-bar");
            if (rbar) {
              rbar.max = Math.max(p.records.total, 1);
              rbar.value = p.records.done;
            }
            text("records-progress", p.records.text);
          }
          text("current", p.current ? p.current[0] + " · " + p.current[1] : "–");
          text("elapsed", p.elapsed_text);
          text("left", p.left_text || "–");
          const messages = document.getElementById("messages");
          if (messages.childElementCount !== p.messages.length) {
            messages.replaceChildren();
            p.messages.forEach(function (m) {
              const li = document.createElement("li");
              li.textContent = m;
              messages.appendChild(li);
            });
          }
          const body = document.getElementById("live-rows");
          p.rows.forEach(function (r) {
            const tr = document.createElement("tr");
            tr.className = "status-" + r[1];
            const th = document.createElement("th");
            th.scope = "row";
            th.textContent = r[0];
            const name = document.createElement("td");
            name.textContent = r[3];
            const status = document.createElement("td");
            const word = document.createElement("span");
            word.className = "label";
            word.dataset.testid = "row-status-" + r[0];
            word.dataset.status = r[1];
            word.textContent = r[2];
            status.append(word);
            tr.append(th, name, status);
            body.prepend(tr);
          });
          // the latest rows only: a long run must not grow the page without end (the
          // results list every row)
          while (body.rows.length > 100) body.deleteRow(-1);
          since += p.rows.length;
          if (p.state === "running") {
            setTimeout(tick, every);
          } else if (started === "running") {
            window.location.assign(root + "/results");
          }
        })
        .catch(function () { setTimeout(tick, every * 4); });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupUpload();
    setupAutosubmit();
    setupReview();
    setupValues();
    setupProgress();
    // every handler is attached: keys pressed from now on are heard (tests wait on this)
    document.documentElement.dataset.ready = "true";
  });
})();
