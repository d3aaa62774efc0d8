// The animations (isolearn.viz.animation_html) work: "Next frame" shows frame 2, "Play" moves
// on by itself and "Pause" stops it. An example of a check that clicks, as the exercise
// widgets' check will (it runs on chapter pages, desktop only: the clicks are the same
// everywhere, the layout checks cover the rest).
export default {
  name: "animations",
  applies: (p) => p.chapter && p.mode === "desktop",
  async run(tab, ctx) {
    const players = tab.locator(".isolearn-anim");
    for (let i = 0; i < await players.count(); i++) {
      const player = players.nth(i);
      const name = `.isolearn-anim #${i + 1}`;
      const img = player.locator("img");
      const counter = player.locator("output");
      const total = Number((await counter.textContent()).split("/")[1]);
      const first = await img.getAttribute("src");
      await player.locator('[data-do="next"]').click();
      if ((await counter.textContent()).trim() !== `2 / ${total}` || (await img.getAttribute("src")) === first) {
        ctx.fail(name, `"Next frame" did not show frame 2 (counter: ${await counter.textContent()})`);
        continue;
      }
      await player.locator('[data-do="play"]').click();
      const moved = await tab.waitForFunction(
        ([el, n]) => el.querySelector("output").textContent.trim() !== n,
        [await player.elementHandle(), `2 / ${total}`], { timeout: 5000 }).then(() => true, () => false);
      if (!moved) ctx.fail(name, '"Play" did not advance the frames within 5 s');
      await player.locator('[data-do="play"]').click();  // now "Pause"
      const label = await player.locator('[data-do="play"]').getAttribute("aria-label");
      if (label !== "Play") ctx.fail(name, `after "Pause" the play button is labelled ${JSON.stringify(label)}, not "Play"`);
    }
  },
};
