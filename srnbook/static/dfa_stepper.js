// The DFA stepper (srnbook.widgets.DFAStepper): everything runs here, in the browser.
//
// The Python side sends the DFA (delta, F, its SVG drawing) and the compiled SSRN at
// scale J = 1 (U1, W1, V1, b1, c1, h0); the network at scale J is J times those
// weights (Section "The construction"). This module runs the SSRN on the word in
// float32 arithmetic, as torch does, so the same page works in JupyterLab and in the
// static HTML book with no kernel.

const f32 = Math.fround;

// torch's float32 activations on CPU: sigmoid(x) = 1 / (1 + exp(-x)), each operation
// rounded to float32 (so sigmoid(-x) is exactly 0 once exp(x) overflows).
const ACTIVATIONS = {
  sigmoid: (x) => f32(1 / f32(1 + f32(Math.exp(f32(-x))))),
  tanh: (x) => f32(Math.tanh(x)),
};

function matvec(M, v) {
  // float32 accumulation, in column order like a dot product
  return M.map((row) => row.reduce((s, m, k) => f32(s + f32(m * v[k])), 0));
}

function scale(M, J) {
  return M.map((row) => row.map((m) => f32(m * J)));
}

// h_t = sigma(U x_t + W h_{t-1} + b), y_t = sigma(V h_t + c), for t = 1..T
function trajectory(p, symbols, J) {
  const act = ACTIVATIONS[p.activation];
  const U = scale(p.U1, J), W = scale(p.W1, J), V = scale(p.V1, J);
  const b = p.b1.map((x) => f32(x * J)), c = p.c1.map((x) => f32(x * J));
  const out = { a: [null], h: [p.h0.map(f32)], y: [] };
  const readout = (h) => matvec(V, h).map((s, i) => act(f32(s + c[i])))[0];
  out.y.push(readout(out.h[0]));
  for (const j of symbols) {
    const Wh = matvec(W, out.h[out.h.length - 1]);
    const a = U.map((row, i) => f32(f32(row[j] + b[i]) + Wh[i]));  // (U x_t + b) + W h_{t-1}
    const h = a.map(act);
    out.a.push(a);
    out.h.push(h);
    out.y.push(readout(h));
  }
  return out;
}

function dfaStates(p, symbols) {
  const states = [0];
  for (const j of symbols) states.push(p.delta[states[states.length - 1]][j]);
  return states;
}

function parseWord(text, alphabet) {
  const oneChar = alphabet.every((s) => [...s].length === 1);
  const parts = oneChar ? [...text.replace(/\s+/g, "")] : text.trim().split(/\s+/).filter((s) => s);
  const unknown = parts.filter((s) => !alphabet.includes(s));
  if (unknown.length) {
    return { error: `unknown symbol ${JSON.stringify(unknown[0])}: the alphabet is {${alphabet.join(", ")}}` };
  }
  return { symbols: parts.map((s) => alphabet.indexOf(s)), parts };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

// J as given, to 4 significant digits, without trailing zeros: 1.5, 17.32, 88.72
function fmtJ(J) {
  return String(Number(J.toPrecision(4)));
}

// The code of the DFA's configuration after t letters (the construction's hidden vector):
// hi at the unit (q_t, x_t) of the state reached and the letter read, lo elsewhere;
// before any letter, the initial vector h_0.
function stateCode(p, states, symbols, t, lo, hi) {
  if (t === 0) return p.h0.map(f32);
  const code = new Array(p.delta.length * p.alphabet.length).fill(lo);
  code[states[t] * p.alphabet.length + symbols[t - 1]] = hi;
  return code;
}

// the largest difference over the units, max_i |u_i - v_i|
function distance(u, v) {
  return Math.max(...u.map((x, i) => Math.abs(x - v[i])));
}

// the one-hot code (hi at one unit, lo elsewhere) nearest to h, and its distance to h
function nearestOneHot(h, lo, hi) {
  let best = { unit: 0, dist: Infinity };
  h.forEach((_, i) => {
    const code = h.map((_, k) => (k === i ? hi : lo));
    const dist = distance(h, code);
    if (dist < best.dist) best = { unit: i, dist };
  });
  return best;
}

function fmt(x) {
  if (Number.isInteger(x)) return String(x);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  if (Math.abs(x) >= 0.001) return x.toFixed(3);
  return x.toExponential(0);
}

// colour of a value on [lo, hi]: white at the middle, blue below, orange above
function colour(x, lo, hi) {
  const m = (lo + hi) / 2, r = (hi - lo) / 2 || 1;
  const t = Math.max(-1, Math.min(1, (x - m) / r));
  const [R, G, B] = t >= 0 ? [230, 120, 20] : [40, 90, 200];
  const s = Math.abs(t);
  const mix = (c) => Math.round(255 + (c - 255) * s);
  return `rgb(${mix(R)}, ${mix(G)}, ${mix(B)})`;
}

function heatmap(title, values, p, lo, hi, role) {
  const nSym = p.alphabet.length, nQ = p.delta.length;
  const table = el("table", { class: "srn-heatmap", "data-role": role });
  const caption = el("caption");
  caption.innerHTML = title;  // our own text, with <sub> subscripts
  table.append(caption);
  const head = el("tr", {}, el("th", {}, ""));
  p.alphabet.forEach((s) => head.append(el("th", {}, s)));
  table.append(head);
  for (let q = 0; q < nQ; q++) {
    const row = el("tr", {}, el("th", {}, `q${q}`));
    for (let j = 0; j < nSym; j++) {
      const i = q * nSym + j;
      const cell = el("td", { title: `unit ${i} (state q${q}, letter ${p.alphabet[j]})` });
      if (values) {
        cell.textContent = fmt(values[i]);
        cell.style.background = colour(values[i], lo, hi);
        cell.dataset.value = String(values[i]);
      } else {
        cell.textContent = "–";
      }
      row.append(cell);
    }
    table.append(row);
  }
  return table;
}

function render({ model, el: root }) {
  const p = {
    alphabet: model.get("alphabet"),
    delta: model.get("delta"),
    accepting: model.get("accepting"),
    activation: model.get("activation"),
    U1: model.get("U1"), W1: model.get("W1"), V1: model.get("V1"),
    b1: model.get("b1"), c1: model.get("c1"), h0: model.get("h0"),
  };
  const Js = model.get("J_values");
  const [lo, hi] = p.activation === "tanh" ? [-1, 1] : [0, 1];
  const mid = (lo + hi) / 2;

  root.classList.add("srn-dfa-stepper");
  const wordBox = el("input", { type: "text", "data-role": "word", spellcheck: "false",
                                "aria-label": "word" });
  const back = el("button", { "data-role": "back", title: "back one letter" }, "◀ back");
  const step = el("button", { "data-role": "step", title: "read the next letter" }, "step ▶");
  const reset = el("button", { "data-role": "reset", title: "back to the empty prefix" }, "⟲ reset");
  const slider = el("input", { type: "range", min: "0", max: String(Js.length - 1), step: "1",
                               "data-role": "J", "aria-label": "weight scale J" });
  const Jout = el("span", { class: "srn-J", "data-role": "J-readout" });
  const error = el("div", { class: "srn-error", "data-role": "error" });
  const tape = el("div", { class: "srn-tape", "data-role": "tape" });
  const drawing = el("div", { class: "srn-dfa", "data-role": "dfa" });
  drawing.innerHTML = model.get("svg");
  const maps = el("div", { class: "srn-maps" });
  const status = el("div", { class: "srn-status", "data-role": "status" });

  root.append(
    el("div", { class: "srn-row" }, el("label", {}, "word ", wordBox), back, step, reset),
    el("div", { class: "srn-row" }, el("label", {}, "weight scale J ", slider), Jout),
    error, tape,
    el("div", { class: "srn-panels" }, drawing, maps),
    status,
  );

  // An invalid word: say why, and show nothing of the previous word.
  function showInvalid(message) {
    error.textContent = message;
    tape.replaceChildren(el("span", { class: "unread" }, "(no valid word)"));
    delete tape.dataset.position;
    maps.replaceChildren();
    status.replaceChildren(el("div", {}, `Type a word over {${p.alphabet.join(", ")}} to step through it.`));
    for (const key of ["dfaState", "agrees", "distance", "lost"]) delete status.dataset[key];
    drawing.querySelectorAll(".dfa-state").forEach((g) => g.classList.remove("current", "network"));
    delete drawing.dataset.current;
    back.disabled = true;
    step.disabled = true;
  }

  function draw() {
    const parsed = parseWord(model.get("word"), p.alphabet);
    if (document.activeElement !== wordBox) wordBox.value = model.get("word");
    if (parsed.error) {
      showInvalid(parsed.error);
      return;
    }
    error.textContent = "";
    const T = parsed.symbols.length;
    const t = Math.max(0, Math.min(T, model.get("position")));
    const J = Js[Math.max(0, Math.min(Js.length - 1, model.get("J_index")))];
    slider.value = String(model.get("J_index"));
    const saturating = model.get("saturating_J");
    Jout.textContent = `J = ${fmtJ(J)}` + (J >= saturating ? " (saturated in float32)" : "");

    const run = trajectory(p, parsed.symbols, J);
    const states = dfaStates(p, parsed.symbols);
    const h = run.h[t], a = run.a[t], y = run.y[t];

    tape.replaceChildren(...parsed.parts.map((s, i) =>
      el("span", { class: i < t ? "read" : i === t ? "next" : "unread" }, s)));
    if (T === 0) tape.append(el("span", { class: "unread" }, "(empty word)"));
    tape.dataset.position = String(t);

    // How far h_t is from the code of the DFA's state (max over the units): below half
    // the range (hi - lo) / 2, rounding each unit to lo or hi gives the code back; from
    // there on the network has lost the state. The nearest one-hot code, when it is that
    // close to h_t, names the state the network holds instead.
    const nSym = p.alphabet.length;
    const gap = distance(h, stateCode(p, states, parsed.symbols, t, lo, hi));
    const lost = gap >= (hi - lo) / 2;
    const nearest = nearestOneHot(h, lo, hi);
    const netState = nearest.dist < (hi - lo) / 2 ? Math.floor(nearest.unit / nSym) : null;
    drawing.querySelectorAll(".dfa-state").forEach((g) => {
      const q = Number(g.dataset.state);
      g.classList.toggle("current", q === states[t]);
      g.classList.toggle("network", lost && q === netState);
    });
    drawing.dataset.current = String(states[t]);

    maps.replaceChildren(
      heatmap(t === 0 ? "pre-activation <i>a</i><sub>t</sub> (none at t = 0)"
                      : `pre-activation <i>a</i><sub>${t}</sub>`, a, p, -3 * J, 3 * J, "preactivation"),
      // sigmoid: white at 0, orange at 1; tanh: blue at -1, white at 0, orange at 1
      heatmap(`hidden state <i>h</i><sub>${t}</sub>`, h, p, -hi, hi, "hidden"),
    );
    const dfaAccepts = p.accepting[states[t]];
    const netAccepts = y > mid;
    status.replaceChildren(
      el("div", {}, `t = ${t} of ${T}. DFA: state q${states[t]}, ${dfaAccepts ? "accept" : "reject"}. ` +
        `SSRN: y = ${fmt(y)}, ${netAccepts ? "accept" : "reject"}` +
        (netAccepts === dfaAccepts ? "." : " (disagrees with the DFA)")),
      el("div", {}, gap === 0
        ? `h_${t} is exactly the code of q${states[t]}: every hidden value is ${lo} or ${hi}.`
        : !lost
          ? `h_${t} is ${fmt(gap)} from the code of q${states[t]} (largest difference over the ` +
            `units): rounding each unit to ${lo} or ${hi} still gives the state.`
          : `The network has lost the state: h_${t} is ${fmt(gap)} from the code of ` +
            `q${states[t]}, ` + (netState === null
              ? "and no one-hot code is within half the range: it encodes no state."
              : `and nearest to the code of q${netState}.`)),
    );
    status.dataset.dfaState = String(states[t]);
    status.dataset.distance = String(gap);
    status.dataset.lost = String(lost);
    status.dataset.agrees = String(netAccepts === dfaAccepts);
    back.disabled = t === 0;
    step.disabled = t === T;
  }

  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const position = () => model.get("position");
  const length = () => (parseWord(model.get("word"), p.alphabet).symbols || []).length;
  step.addEventListener("click", () => set("position", Math.min(length(), position() + 1)));
  back.addEventListener("click", () => set("position", Math.max(0, position() - 1)));
  reset.addEventListener("click", () => set("position", 0));
  slider.addEventListener("input", () => set("J_index", Number(slider.value)));
  wordBox.addEventListener("input", () => {
    const parsed = parseWord(wordBox.value, p.alphabet);
    if (parsed.error) { showInvalid(parsed.error); return; }
    model.set("word", wordBox.value);
    model.set("position", Math.min(position(), parsed.symbols.length));
    model.save_changes();
  });
  for (const name of ["word", "position", "J_index"]) model.on(`change:${name}`, draw);
  draw();
  return () => { for (const name of ["word", "position", "J_index"]) model.off(`change:${name}`, draw); };
}

export default { render };
