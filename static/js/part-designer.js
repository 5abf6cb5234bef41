// The part designer: a template's parameters, a live three.js preview made on the server by
// the CAD kernel, the findings and the price per process, and saving the part as a design.
import * as THREE from "three";
import { STLLoader } from "../vendor/three/STLLoader.js";
import { OrbitControls } from "../vendor/three/OrbitControls.js";

const DEBOUNCE_MS = 350; // typing pauses this long before the part is made again

const root = document.getElementById("part-designer");
const templates = JSON.parse(document.getElementById("part-templates").textContent);
const start = JSON.parse(document.getElementById("part-start").textContent);
const form = document.getElementById("part-form");
const fields = form.querySelector("[data-testid=parameters]");
const summary = root.querySelector("[data-testid=part-summary]");
const findingsList = root.querySelector("[data-testid=findings]");
const pricesBody = root.querySelector("[data-testid=prices] tbody");
const errorBox = form.querySelector("[data-testid=part-error]");
const api = root.dataset.api;

let current = null; // the chosen template
let design = start.design; // saving adds a revision to this design when set
let generation = 0; // answers to older requests are dropped
let timer = null;

// --- the 3D view -----------------------------------------------------------------------------
const figure = document.getElementById("part-viewer");
const canvas = figure.querySelector("canvas");
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0xf4f8fb);
const camera = new THREE.PerspectiveCamera(35, 1, 0.1, 100000);
scene.add(new THREE.HemisphereLight(0xffffff, 0x8899aa, 2.2));
const sun = new THREE.DirectionalLight(0xffffff, 1.6);
sun.position.set(1, 2, 3);
scene.add(sun);
const controls = new OrbitControls(camera, canvas);
const material = new THREE.MeshStandardMaterial({ color: 0x2c6e9b, metalness: 0.2, roughness: 0.55 });
let mesh = null;
let framedFor = null; // the camera is placed once per template, then left where the user put it

function resize() {
  const width = figure.clientWidth;
  const height = Math.round(width * 0.75);
  renderer.setSize(width, height, false);
  camera.aspect = width / height;
  camera.updateProjectionMatrix();
}
window.addEventListener("resize", resize);
resize();
renderer.setAnimationLoop(() => { controls.update(); renderer.render(scene, camera); });

function showMesh(stlBase64, key) {
  const bytes = Uint8Array.from(atob(stlBase64), (c) => c.charCodeAt(0));
  const geometry = new STLLoader().parse(bytes.buffer);
  geometry.computeVertexNormals();
  geometry.computeBoundingBox();
  const box = geometry.boundingBox;
  const centre = box.getCenter(new THREE.Vector3());
  geometry.translate(-centre.x, -centre.y, -centre.z);
  if (mesh) { scene.remove(mesh); mesh.geometry.dispose(); }
  mesh = new THREE.Mesh(geometry, material);
  mesh.rotation.x = -Math.PI / 2; // CAD is Z-up, three.js is Y-up
  scene.add(mesh);
  if (framedFor !== key) {
    const size = box.getSize(new THREE.Vector3()).length();
    camera.position.set(size * 0.9, size * 0.7, size * 1.1);
    camera.near = size / 100; camera.far = size * 100; camera.updateProjectionMatrix();
    controls.target.set(0, 0, 0);
    framedFor = key;
  }
  figure.dataset.triangles = String(geometry.attributes.position.count / 3);
}

// --- the form --------------------------------------------------------------------------------
function choose(key, values = {}) {
  current = templates.find((t) => t.key === key) || templates[0];
  root.querySelectorAll("[data-template]").forEach((button) => {
    button.classList.toggle("outline", button.dataset.template !== current.key);
    button.setAttribute("aria-pressed", String(button.dataset.template === current.key));
  });
  form.querySelector("[data-testid=template-description]").textContent = current.description;
  const nameInput = form.querySelector("[name=design-name]");
  if (!nameInput.value || templates.some((t) => t.name === nameInput.value)) nameInput.value = current.name;
  fields.replaceChildren(...current.parameters.map((p) => field(p, values[p.name] ?? p.default)));
  refresh();
}

function field(param, value) {
  const label = document.createElement("label");
  const unit = param.unit === "count" ? "" : ` (${param.unit})`;
  label.append(`${param.label}${unit}`);
  const input = document.createElement("input");
  Object.assign(input, { type: "number", name: param.name, value, min: param.minimum, max: param.maximum });
  input.step = param.type === "integer" ? "1" : "any";
  input.dataset.testid = `param-${param.name}`;
  input.setAttribute("aria-describedby", `help-${param.name}`);
  const help = document.createElement("small");
  help.id = `help-${param.name}`;
  help.dataset.help = param.help;
  help.textContent = param.help;
  label.append(input, help);
  return label;
}

function parameters() {
  const values = {};
  fields.querySelectorAll("input").forEach((input) => { values[input.name] = input.value; });
  return values;
}

function showParameterErrors(errors) {
  fields.querySelectorAll("input").forEach((input) => {
    const help = document.getElementById(`help-${input.name}`);
    const message = errors[input.name];
    input.setAttribute("aria-invalid", message ? "true" : "false");
    help.textContent = message ? (Array.isArray(message) ? message.join(" ") : message) : help.dataset.help;
  });
}

async function post(path, body) {
  const response = await fetch(`${api}${current.key}/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf, Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

function refresh() {
  clearTimeout(timer);
  timer = setTimeout(update, DEBOUNCE_MS);
}

async function update() {
  const mine = ++generation;
  const key = current.key;
  const values = parameters();
  root.dataset.state = "making";
  summary.textContent = "Making the part…";
  const preview = await post("preview/", { parameters: values });
  if (mine !== generation) return;
  if (!preview.ok) {
    const fieldErrors = preview.data?.error?.fields?.parameters || {};
    showParameterErrors(fieldErrors);
    summary.textContent = preview.data?.error?.message || "The part could not be made.";
    root.dataset.state = "invalid";
    return;
  }
  showParameterErrors({});
  const part = preview.data;
  showMesh(part.stl_base64, key);
  const [x, y, z] = part.bbox_mm.map((v) => v.toFixed(1));
  summary.textContent = `${x} × ${y} × ${z} mm · ${(part.volume_mm3 / 1000).toFixed(2)} cm³ · drag to turn, scroll to zoom`;
  summary.dataset.volume = String(part.volume_mm3);
  showFindings(part);
  root.dataset.state = "priced-pending";
  const priced = await post("prices/", { parameters: values });
  if (mine !== generation) return;
  if (priced.ok) showPrices(priced.data.prices);
  else showPricesMissing(priced.data?.error?.message || "The prices could not be worked out just now.");
  root.dataset.state = "ready";
  root.dataset.generation = String(mine);
}

function showFindings(part) {
  const items = [
    ...part.findings.map((f) => `${f.severity === "error" ? "✗" : "!"} ${f.process}: ${f.message}`),
    ...part.issues.map((i) => `${i.severity === "error" ? "✗" : "!"} ${i.message}`),
  ];
  if (!items.length) items.push("✓ Every process on offer can make this part.");
  findingsList.replaceChildren(...items.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
}

function showPricesMissing(text) {
  const row = document.createElement("tr");
  row.append(Object.assign(document.createElement("td"), { colSpan: 4, textContent: text }));
  pricesBody.replaceChildren(row);
}

function showPrices(prices) {
  if (!prices.length) {
    showPricesMissing("No workshop in the network can make it as it is.");
    return;
  }
  pricesBody.replaceChildren(...prices.map((p) => {
    const row = document.createElement("tr");
    row.dataset.process = p.process;
    row.dataset.priceMinor = String(p.price_minor);
    const money = new Intl.NumberFormat(undefined, { style: "currency", currency: p.currency }).format(p.price_minor / 100);
    const delivery = new Date(p.delivery_at).toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
    for (const text of [p.process_name, p.material_name, money, delivery]) {
      row.append(Object.assign(document.createElement("td"), { textContent: text }));
    }
    return row;
  }));
}

form.addEventListener("input", refresh);
root.querySelectorAll("[data-template]").forEach((button) => {
  button.addEventListener("click", () => { design = null; choose(button.dataset.template); });
});
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  const button = form.querySelector("[data-testid=save-part]");
  button.setAttribute("aria-busy", "true");
  const saved = await post("designs/", {
    parameters: parameters(),
    name: form.querySelector("[name=design-name]").value,
    design,
  });
  button.removeAttribute("aria-busy");
  if (saved.ok) {
    window.location.assign(`/designs/${saved.data.id}/`);
    return;
  }
  showParameterErrors(saved.data?.error?.fields?.parameters || {});
  errorBox.textContent = saved.data?.error?.message || "The part could not be saved.";
  errorBox.hidden = false;
});

choose(start.template, start.parameters);
