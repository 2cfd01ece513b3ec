// Pick a place on the server-drawn map: a click becomes WGS-84 lat/lon in the form's fields, using the
// same projection the server drew with (app/console/drawing.py: equirectangular, x shrunk by cos(lat)).
export function toLonLat(x, y, { minLon, maxLat, scale, shrink }) {
  return { lon: minLon + x / (shrink * scale), lat: maxLat - y / scale };
}

function projectionOf(svg) {
  const d = svg.dataset;
  return { minLon: +d.minLon, maxLat: +d.maxLat, scale: +d.scale, shrink: +d.shrink };
}

export function attach(svg, form) {
  const pin = svg.querySelector("[data-pin]");
  svg.addEventListener("click", (event) => {
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    const { lat, lon } = toLonLat(point.x, point.y, projectionOf(svg));
    form.elements.lat.value = lat.toFixed(6);
    form.elements.lon.value = lon.toFixed(6);
    form.elements.coord_sys.value = "wgs84"; // the map is drawn in WGS-84
    pin.setAttribute("cx", point.x);
    pin.setAttribute("cy", point.y);
    pin.removeAttribute("visibility");
  });
}

for (const svg of document.querySelectorAll("svg[data-pick]")) attach(svg, svg.closest("form"));
