import ChurnKit
