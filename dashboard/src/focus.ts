// Keyboard users keep their place. When an action removes the control that had the focus (a form made anew, a table
// waiting for its rows, a closed run detail) or disables it while its request is out, the browser puts the focus on
// <body> and the next Tab starts again at the top of the page. The views then put it on what took the control's
// place, but only when it is lost: never away from where the user has moved it meanwhile.

/** The focus is on nothing: on <body>, as after the focused element was removed or disabled. */
export function focusLost(): boolean {
  const active = document.activeElement;
  return active === null || active === document.body;
}
