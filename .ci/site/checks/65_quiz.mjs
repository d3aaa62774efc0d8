// The check-your-understanding quizzes (isolearn.quizzes, drawn by jupyterquiz) render and grade
// in the page, with no kernel: every chapter shows at least one quiz; in each quiz, a wrong option
// clicked shows its own feedback as incorrect and the right one its feedback as correct, and a
// numeric question graded with Enter says "incorrect" to a wrong number and "correct" to the
// answer. The solutions (those of the widget exercises among them) are dropdowns that open. Chapter pages, desktop only
// (the clicks are the same everywhere; the layout checks cover the other modes).
const feedbackOf = async (question) => {
  const fb = question.locator(".Feedback");
  return { cls: (await fb.getAttribute("class")) || "", text: ((await fb.textContent()) || "").trim(),
           shown: await fb.isVisible() };
};

export default {
  name: "quiz",
  applies: (p) => p.chapter && p.mode === "desktop",
  async run(tab, ctx) {
    // jupyterquiz builds its questions from a script after the page loads
    await tab.waitForSelector(".Quiz", { timeout: 10000 }).catch(() => null);
    const quizzes = tab.locator("div[data-shufflequestions]");
    const n = await quizzes.count();
    if (n === 0) {
      ctx.fail("page", "no quiz rendered: every chapter shows isolearn.quizzes questions (is the quiz cell's output, HTML and a script, on the page?)");
      return;
    }
    for (let i = 0; i < n; i++) {
      const quiz = quizzes.nth(i);
      const name = `quiz #${i + 1}`;
      const questions = quiz.locator(".Quiz");
      if (await questions.count() === 0) {
        ctx.fail(name, "the quiz container is empty: its script did not build the questions");
        continue;
      }
      const choice = quiz.locator(".Quiz:has(.MultipleChoiceQn)").first();
      if (await choice.count()) {
        const wrong = choice.locator('label.MCButton[data-correct="false"]').first();
        const right = choice.locator('label.MCButton[data-correct="true"]').first();
        const expected = await wrong.getAttribute("data-feedback");
        await wrong.click();
        let fb = await feedbackOf(choice);
        if (!fb.shown || !fb.cls.includes("incorrect") || fb.text !== expected.trim()) {
          ctx.fail(`${name}, a wrong option`, `clicking it showed ${JSON.stringify(fb)}, not its feedback marked incorrect`);
        }
        await right.click();
        fb = await feedbackOf(choice);
        if (!fb.shown || !/\bcorrect\b/.test(fb.cls) || fb.cls.includes("incorrect")) {
          ctx.fail(`${name}, the right option`, `clicking it showed ${JSON.stringify(fb)}, not feedback marked correct`);
        }
      }
      const numeric = quiz.locator(".Quiz:has(.NumericQn)").first();
      if (await numeric.count()) {
        const input = numeric.locator("input.Input-text");
        const answers = JSON.parse(await input.getAttribute("data-answers"));
        const right = answers.find((a) => a.correct);
        const value = "value" in right ? right.value : (right.range[0] + right.range[1]) / 2;
        const slip = answers.find((a) => a.correct === false);
        const wrongValue = slip ? ("value" in slip ? slip.value : (slip.range[0] + slip.range[1]) / 2) : value + 12345;
        await input.fill(String(wrongValue));
        await input.press("Enter");
        let fb = await feedbackOf(numeric);
        if (!fb.shown || !fb.cls.includes("incorrect") || (slip && fb.text !== slip.feedback.trim())) {
          ctx.fail(`${name}, number ${wrongValue}`, `Enter showed ${JSON.stringify(fb)}, not ${slip ? "its mistake's feedback" : "feedback"} marked incorrect`);
        }
        await input.fill(String(value));
        await input.press("Enter");
        fb = await feedbackOf(numeric);
        if (!fb.shown || !/\bcorrect\b/.test(fb.cls) || fb.cls.includes("incorrect")) {
          ctx.fail(`${name}, number ${value}`, `Enter showed ${JSON.stringify(fb)}, not feedback marked correct`);
        }
      }
    }
    // the widget exercises: a static picture on the page, and the solution in a dropdown
    const solutions = tab.locator(".solution.dropdown");
    if (await solutions.count() === 0) {
      ctx.fail("page", "no solution dropdown (a {solution} with :class: dropdown, as under every widget exercise)");
    }
    for (let i = 0; i < await solutions.count(); i++) {
      const box = solutions.nth(i);
      const body = box.locator("section").first();  // the text under the title
      if (await body.isVisible()) {
        ctx.fail(`solution dropdown #${i + 1}`, "the solution is shown before the reader opens it");
        continue;
      }
      await box.locator(".toggle-button, button").first().click();
      if (!await body.isVisible()) ctx.fail(`solution dropdown #${i + 1}`, "clicking it did not open it");
    }
  },
};
