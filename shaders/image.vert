#version 330 core
// Draws the image quad. a_pos: unit square corner in [0,1]^2 (x right, y down in image space).
// u_rect: image rectangle in NDC (x0, y_top, x1, y_bottom).
layout(location = 0) in vec2 a_pos;
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
  v_uv = a_pos;   // texture row 0 = image top row (uploaded top-first)
  gl_Position = vec4(mix(u_rect.x, u_rect.z, a_pos.x), mix(u_rect.y, u_rect.w, a_pos.y), 0.0, 1.0);
}
