// The classify panel: draw a digit with the pointer and a semi-supervised session's discriminator
// reads it (GanClassifier), its class probabilities redrawn after every stroke. The drawing is a
// 28×28 grid of ink shown 8 times larger; the classifier is the run's D as it is now (copied on
// the GPU before each reading), so it improves as training goes on. Without labelled images the
// panel says how to train one.
import { classHeadClasses, GanClassifier } from 'webgpu-gan';
import { $, message } from './page.js';
import type { Session } from './session.js';
import type { State, View } from './state.js';

const SIDE = 28;
const el = {
  canvas: $<HTMLCanvasElement>('draw'),
  clear: $<HTMLButtonElement>('draw-clear'),
  note: $('classify-note'),
  list: $<HTMLOListElement>('class-probabilities'),
};

/** Ink of each cell, 0 (background) to 1, as MNIST's bytes / 255. */
const ink = new Float32Array(SIDE * SIDE);

export function classifyPanel(state: State): View {
  let drawing = false;
  el.canvas.addEventListener('pointerdown', (event) => {
    if (!classifies(state.session)) return;
    drawing = true;
    paint(event);
  });
  el.canvas.addEventListener('pointermove', (event) => {
    if (drawing) paint(event);
  });
  const finish = () => {
    if (!drawing) return;
    drawing = false;
    void classify(state);
  };
  // A stroke may end outside the canvas: the window hears its end wherever it is.
  window.addEventListener('pointerup', finish);
  window.addEventListener('pointercancel', finish);
  el.clear.addEventListener('click', () => {
    ink.fill(0);
    show();
    el.list.replaceChildren();
  });
  show();
  let shown: Session | null = null;
  return (s: State) => {
    if (s.session === shown) return;
    shown = s.session;
    if (made?.session !== s.session) dropClassifier();
    const on = classifies(s.session);
    el.canvas.classList.toggle('disabled', !on);
    el.list.replaceChildren();
    message(
      el.note,
      on
        ? `Draw a digit: D reads it as one of its ${classHeadClasses(s.session.trainer.config)} classes.`
        : 'Set Labelled images above 0 and Apply: D then learns the classes and reads what you draw here.',
    );
  };
}

/** A semi-supervised D, or an auxiliary classifier's, ends in class logits it reads pictures with. */
const classifies = (session: Session) => classHeadClasses(session.trainer.config) > 0;

/** A soft round brush around the pointer, in grid cells. */
function paint(event: PointerEvent): void {
  const box = el.canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * SIDE;
  const y = ((event.clientY - box.top) / box.height) * SIDE;
  for (let row = Math.floor(y - 2); row <= y + 2; row++)
    for (let col = Math.floor(x - 2); col <= x + 2; col++) {
      if (row < 0 || col < 0 || row >= SIDE || col >= SIDE) continue;
      const distance = Math.hypot(col + 0.5 - x, row + 0.5 - y);
      const i = row * SIDE + col;
      ink[i] = Math.max(ink[i]!, Math.min(1, Math.max(0, 1.6 - distance)));
    }
  show();
}

function show(): void {
  const context = el.canvas.getContext('2d')!;
  const picture = context.createImageData(SIDE, SIDE);
  ink.forEach((v, i) => {
    const grey = Math.round(255 * v);
    picture.data.set([grey, grey, grey, 255], i * 4);
  });
  context.putImageData(picture, 0, 0);
}

/** The classifier of the session it was made for: made at the first stroke, refreshed at each. */
let made: { session: Session; classifier: Promise<GanClassifier> } | null = null;

/** A new run's trainer replaced the one the classifier read: its buffers go with it. */
function dropClassifier(): void {
  void made?.classifier.then(
    (c) => c.destroy(),
    () => {},
  );
  made = null;
}

function classifierFor(state: State): Promise<GanClassifier> {
  if (made?.session !== state.session) {
    dropClassifier();
    made = {
      session: state.session,
      classifier: GanClassifier.fromTrainer(state.ctx, state.session.trainer, { batch: 1 }),
    };
  }
  return made.classifier;
}

/** The run's discriminator as it is now, reading the drawing; the result is dropped if the run changed meanwhile. */
async function classify(state: State): Promise<void> {
  const session = state.session;
  try {
    const step = session.trainer.step;
    const classifier = await classifierFor(state);
    if (state.session !== session) return;
    classifier.refresh(); // D as it is now: one copy on the GPU, no new buffers
    const { classes, probabilities } = await classifier.classify(Float32Array.from(ink, (v) => 2 * v - 1));
    if (state.session !== session) return;
    el.list.replaceChildren(
      ...Array.from(probabilities, (p, k) => {
        const item = document.createElement('li');
        item.dataset.testid = `class-${k}`;
        item.textContent = `${k}: ${(100 * p).toFixed(1)}%`;
        item.style.setProperty('--share', `${(100 * p).toFixed(1)}%`);
        item.classList.toggle('best', k === classes[0]);
        return item;
      }),
    );
    message(el.note, `D reads class ${classes[0]} (step ${step}).`);
  } catch (error) {
    if (state.session === session) message(el.note, `Could not classify: ${(error as Error).message}`, true);
  }
}
