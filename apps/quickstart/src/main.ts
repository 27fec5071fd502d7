import "./train.js";
