// The interactive 3D preview: the analysed mesh in mm, orbit with the mouse, no CDN.
import * as THREE from "three";
import { STLLoader } from "../vendor/three/STLLoader.js";
import { OrbitControls } from "../vendor/three/OrbitControls.js";

const figure = document.getElementById("viewer");
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

function resize() {
  const width = figure.clientWidth;
  const height = Math.round(width * 0.75);
  renderer.setSize(width, height, false);
  camera.aspect = width / height;
  camera.updateProjectionMatrix();
}
window.addEventListener("resize", resize);
resize();

new STLLoader().load(figure.dataset.previewUrl, (geometry) => {
  geometry.computeVertexNormals();
  geometry.computeBoundingBox();
  const box = geometry.boundingBox;
  const centre = box.getCenter(new THREE.Vector3());
  geometry.translate(-centre.x, -centre.y, -centre.z);
  const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color: 0x2c6e9b, metalness: 0.2, roughness: 0.55 }));
  mesh.rotation.x = -Math.PI / 2; // CAD is Z-up, three.js is Y-up
  scene.add(mesh);
  const size = box.getSize(new THREE.Vector3()).length();
  camera.position.set(size * 0.9, size * 0.7, size * 1.1);
  camera.near = size / 100; camera.far = size * 100; camera.updateProjectionMatrix();
  controls.target.set(0, 0, 0);
  controls.update();
  figure.dataset.loaded = "true";
  figure.dataset.triangles = String(geometry.attributes.position.count / 3);
});

renderer.setAnimationLoop(() => { controls.update(); renderer.render(scene, camera); });
