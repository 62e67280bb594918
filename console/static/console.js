// "Chèn vào ô trả lời": the bot's suggested reply goes into the reply box, to send or edit.
for (const button of document.querySelectorAll("button.insert")) {
  button.onclick = () => {
    const box = document.getElementById("reply");
    box.value = button.dataset.text;
    box.focus();
  };
}
