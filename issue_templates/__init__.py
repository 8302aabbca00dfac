"""Issue templates, issue forms and postmortem skeletons, and the code that renders and installs them."""
