#version 330 core
// Before/after split and channel view. u_split_px: framebuffer x of the split line (< 0: off);
// pixels left of it show u_before. u_channel: 0 rgb, 1 r, 2 g, 3 b, 4 luma (Rec. 709), 5 alpha.
in vec2 v_uv;
uniform sampler2D u_after;
uniform sampler2D u_before;
uniform float u_split_px;
uniform int u_channel;
out vec4 frag_color;
void main() {
  vec4 c = (u_split_px >= 0.0 && gl_FragCoord.x < u_split_px) ? texture(u_before, v_uv) : texture(u_after, v_uv);
  if (u_channel == 1) { c.rgb = vec3(c.r); }
  else if (u_channel == 2) { c.rgb = vec3(c.g); }
  else if (u_channel == 3) { c.rgb = vec3(c.b); }
  else if (u_channel == 4) { c.rgb = vec3(dot(c.rgb, vec3(0.2126, 0.7152, 0.0722))); }
  else if (u_channel == 5) { c.rgb = vec3(c.a); }
  if (u_split_px >= 0.0 && abs(gl_FragCoord.x - u_split_px) < 1.0) { c.rgb = vec3(1.0, 0.8, 0.2); }
  frag_color = vec4(c.rgb, 1.0);
}
