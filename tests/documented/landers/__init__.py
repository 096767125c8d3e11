"""One module per channel: `land(data_dir)` serves that channel's documented responses
(tests/fixtures/<channel>/) on 127.0.0.1 and runs the real connector into `data_dir`'s landing."""
