// Placeholder: bundles src/handler into dist/handler/handler.zip (replaced when the handler lands).
